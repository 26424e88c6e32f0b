/**
 * One robust baseline per series, fed one sample per interval, telling when a series leaves its band and when
 * it comes back. Shared by anomaly detection (anomaly/signals.ts: an upstream's or a route's request rate, p99
 * or error fraction) and storm detection (overload/storm-detector.ts: an upstream's attempts and failures per
 * second), so both rest on one method.
 *
 * Method: an EWMA level with an EWMA of absolute deviations, Huber-clipped, and a band with hysteresis.
 * - level ← level + α·(x̃ − level), dev ← dev + α·(|x̃ − level| − dev), x̃ = x clipped to level ± c·σ̂
 *   (Huber's M-estimator idea: a heavy-tailed outlier moves the baseline by c·σ̂·α at most), c = 2, and
 *   never less than half the minimum effect (so a series whose σ̂ fell to 0 can still move).
 * - σ̂ = √(π/2)·dev: for normal noise the mean absolute deviation is σ·√(2/π), so σ̂ is a σ-equivalent spread
 *   (like MAD × 1.4826, but updatable in O(1) without a window to sort).
 * - band = level ± max(k·σ̂, minAbsolute, minRelative·level): the two floors are the minimum effect, so a
 *   tiny rate or a sub-millisecond wobble is never an anomaly however small σ̂ gets.
 * - an anomaly starts after `enterAfter` consecutive samples on the same side outside the band, ends after
 *   `exitAfter` consecutive samples back inside `exitBand` × the band (1: the same band; 0.5: an anomaly
 *   stays alive between half the band and the band, hysteresis on the level as well as in time); while it is active (and while one is pending) the baseline
 *   is frozen, so it never learns the anomaly. One lasting `relearnAfter` samples is taken as the new normal:
 *   it ends and the baseline restarts from the current value (a warm-up again).
 * - warm-up: the first `warmupSamples` only learn, with α = max(α, 1/n) (a running mean, so the level is not
 *   dragged from 0).
 * Why not a seasonal model (Holt-Winters) or a windowed median/MAD: both need hours of history per series,
 * and a diurnal cycle moves the level by a fraction of a percent per minute, which an EWMA with a time
 * constant of minutes tracks with a lag far inside the relative floor (a doubling over an hour lags by
 * τ/3600 of the level: 8 % for τ = 5 min). State: seven numbers per series in typed arrays, O(1) per sample.
 */
export interface DetectorOptions {
  /** EWMA weight of one sample, 0 < α ≤ 1: 1 − e^(−interval/τ) for a time constant τ. */
  alpha: number
  /** k: band half-width in σ̂. */
  bandWidth: number
  /** Smallest distance from the level that is ever outside the band, in the series' units (> 0 or minRelative > 0). */
  minAbsolute: number
  /** Smallest distance from the level that is ever outside, as a fraction of the level. */
  minRelative: number
  warmupSamples: number
  enterAfter: number
  exitAfter: number
  relearnAfter: number
  /** While active, a sample is back inside within this fraction of the band's half-width, 0 < exitBand ≤ 1. */
  exitBand: number
  /** Which sides are anomalies: Side.High, Side.Low or both (High | Low). */
  sides: number
}

/** Sides of the band, as bit flags for DetectorOptions.sides and as the sign of an anomaly. */
export const Side = { High: 1, Low: 2 } as const

/** What a sample did: nothing, started an anomaly, ended one (the series came back, or the new level was accepted). */
export const Transition = { None: 0, Start: 1, End: 2, Relearned: 3 } as const
export type TransitionCode = (typeof Transition)[keyof typeof Transition]

/** Huber clipping constant, σ̂: samples further out count as if they were at the edge. */
const HUBER_C = 2
/** σ / mean absolute deviation for normal noise: √(π/2). */
const SIGMA_PER_MEAN_ABS_DEV = Math.sqrt(Math.PI / 2)

export class RobustDetector {
  private readonly o: DetectorOptions
  private level: Float64Array
  private dev: Float64Array
  private samples: Float64Array
  /** 0 normal, else the Side of the active anomaly. */
  private state: Uint8Array
  /** Side of the samples outside while normal (0 none), and how many in a row; while active, samples back inside in a row. */
  private pendingSide: Uint8Array
  private streak: Int32Array
  private activeSamples: Float64Array
  /** The band and sample of the last step(), per series: what an event reports. */
  private low: Float64Array
  private high: Float64Array
  private observedLast: Float64Array

  constructor(series: number, options: DetectorOptions) {
    if (!(options.alpha > 0 && options.alpha <= 1)) throw new RangeError(`alpha must be in (0, 1], got ${options.alpha}`)
    if (!(options.minAbsolute > 0 || options.minRelative > 0)) throw new RangeError('a minimum effect (absolute or relative) is needed')
    if (!(options.exitBand > 0 && options.exitBand <= 1)) throw new RangeError(`exitBand must be in (0, 1], got ${options.exitBand}`)
    this.o = options
    this.level = new Float64Array(series)
    this.dev = new Float64Array(series)
    this.samples = new Float64Array(series)
    this.state = new Uint8Array(series)
    this.pendingSide = new Uint8Array(series)
    this.streak = new Int32Array(series)
    this.activeSamples = new Float64Array(series)
    this.low = new Float64Array(series).fill(Number.NaN)
    this.high = new Float64Array(series).fill(Number.NaN)
    this.observedLast = new Float64Array(series).fill(Number.NaN)
  }

  get size(): number {
    return this.level.length
  }

  /** Room for `series` series; existing state kept. Off the hot path (a new route or upstream name). */
  grow(series: number): void {
    if (series <= this.size) return
    this.level = grown(this.level, series, 0)
    this.dev = grown(this.dev, series, 0)
    this.samples = grown(this.samples, series, 0)
    this.state = grown(this.state, series, 0)
    this.pendingSide = grown(this.pendingSide, series, 0)
    this.streak = grown(this.streak, series, 0)
    this.activeSamples = grown(this.activeSamples, series, 0)
    this.low = grown(this.low, series, Number.NaN)
    this.high = grown(this.high, series, Number.NaN)
    this.observedLast = grown(this.observedLast, series, Number.NaN)
  }

  /**
   * One sample of series i. NaN is no evidence (too few requests to tell): nothing changes. `mayAlarm` false
   * (too little behind the value, e.g. 2 errors in a window, or a rate under an absolute floor) keeps an outside
   * sample from counting towards a start (it is learned like a sample inside), and while active counts it as
   * back inside. O(1), no allocation.
   */
  step(i: number, x: number, mayAlarm = true): TransitionCode {
    if (!Number.isFinite(x)) return Transition.None
    this.observedLast[i] = x
    const o = this.o
    if (this.samples[i] < o.warmupSamples) {
      this.learn(i, x, Math.max(o.alpha, 1 / (this.samples[i] + 1)), false)
      return Transition.None
    }
    const state = this.state[i]
    const side = this.sideOf(i, x, state === 0 ? 1 : o.exitBand)
    if (state !== 0) return this.whileActive(i, x, mayAlarm ? side : 0, state)
    // Inside, or outside with too little behind it to alarm (for all we know the series' normal, e.g. a quiet
    // upstream's rate that grew): learned, Huber-clipped like any sample, and the run of outside samples is broken.
    if (side === 0 || !mayAlarm) {
      this.pendingSide[i] = 0
      this.streak[i] = 0
      this.learn(i, x, o.alpha, true)
      return Transition.None
    }
    this.streak[i] = this.pendingSide[i] === side ? this.streak[i] + 1 : 1
    this.pendingSide[i] = side
    if (this.streak[i] < o.enterAfter) return Transition.None
    this.state[i] = side
    this.streak[i] = 0
    this.activeSamples[i] = 0
    return Transition.Start
  }

  /** Side.High or Side.Low while series i is in an anomaly, else 0. */
  active(i: number): number {
    return i < this.size ? this.state[i] : 0
  }

  expectedLow(i: number): number {
    return this.low[i]
  }

  expectedHigh(i: number): number {
    return this.high[i]
  }

  observed(i: number): number {
    return this.observedLast[i]
  }

  /** Takes over `previous`'s state series by series (a replaced owner's history, e.g. a reloaded upstream's). */
  adopt(previous: RobustDetector): void {
    this.grow(previous.size)
    this.level.set(previous.level)
    this.dev.set(previous.dev)
    this.samples.set(previous.samples)
    this.state.set(previous.state)
    this.pendingSide.set(previous.pendingSide)
    this.streak.set(previous.streak)
    this.activeSamples.set(previous.activeSamples)
    this.low.set(previous.low)
    this.high.set(previous.high)
    this.observedLast.set(previous.observedLast)
  }

  /** Forget series i (its name left the config and its slot is reused). */
  reset(i: number): void {
    this.level[i] = 0
    this.dev[i] = 0
    this.samples[i] = 0
    this.state[i] = 0
    this.pendingSide[i] = 0
    this.streak[i] = 0
    this.activeSamples[i] = 0
    this.low[i] = Number.NaN
    this.high[i] = Number.NaN
    this.observedLast[i] = Number.NaN
  }

  private whileActive(i: number, x: number, side: number, state: number): TransitionCode {
    this.activeSamples[i]++
    this.streak[i] = side === state ? 0 : this.streak[i] + 1
    if (this.streak[i] >= this.o.exitAfter) {
      this.state[i] = 0
      this.streak[i] = 0
      this.pendingSide[i] = 0
      return Transition.End
    }
    if (this.activeSamples[i] < this.o.relearnAfter) return Transition.None
    this.reset(i)
    this.learn(i, x, 1, false)
    this.observedLast[i] = x
    return Transition.Relearned
  }

  /**
   * Computes the band of series i into low/high and says which side of `scale` × the band x is on (0 inside or a
   * side not watched).
   */
  private sideOf(i: number, x: number, scale: number): number {
    const o = this.o
    const level = this.level[i]
    const full = Math.max(o.bandWidth * SIGMA_PER_MEAN_ABS_DEV * this.dev[i], o.minAbsolute, o.minRelative * Math.abs(level))
    this.low[i] = level - full
    this.high[i] = level + full
    const width = scale * full
    if (x > level + width) return o.sides & Side.High
    if (x < level - width) return o.sides & Side.Low
    return 0
  }

  private learn(i: number, x: number, alpha: number, clip: boolean): void {
    const level = this.level[i]
    let v = x
    if (clip) {
      // At least half the minimum effect, so a series whose deviation has shrunk to 0 can still move.
      const floor = 0.5 * Math.max(this.o.minAbsolute, this.o.minRelative * Math.abs(level))
      const reach = Math.max(HUBER_C * SIGMA_PER_MEAN_ABS_DEV * this.dev[i], floor)
      v = Math.min(level + reach, Math.max(level - reach, x))
    }
    // The first sample sets the level; its deviation is unknown until the second.
    if (this.samples[i] === 0) this.level[i] = x
    else {
      this.dev[i] += alpha * (Math.abs(v - level) - this.dev[i])
      this.level[i] = level + alpha * (v - level)
    }
    this.samples[i]++
  }
}

function grown<T extends Float64Array | Uint8Array | Int32Array>(a: T, n: number, fill: number): T {
  const b = new (a.constructor as new (n: number) => T)(n)
  b.fill(fill)
  b.set(a)
  return b
}
