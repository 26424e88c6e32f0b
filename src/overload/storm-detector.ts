import type { StormConfig } from '../config/types.js'
import { RobustDetector, Side } from '../util/robust-detector.js'

/**
 * Whether an upstream is in a storm (a traffic surge or an error burst) now. The seam between who detects and
 * who damps: StormDetector implements it per upstream; an instance-wide anomaly monitor can stand in for it.
 */
export interface StormSignal {
  storming(upstream: string): boolean
  /** The figures behind the current state, for the storm-start event; optional. */
  describe?(upstream: string): Readonly<Record<string, number | string>>
}

/** The interval of the samples, ms: the cluster's tick. Durations in StormConfig become sample counts by it. */
const SAMPLE_MS = 1_000
/** Consecutive anomalous samples (ticks) before a storm starts: one busy second is not a storm. */
const ENTER_SAMPLES = 2
/** A storm lasting this many baseline time constants is taken as the new normal (real growth): it ends and
 * the baseline restarts from the current rates. */
const RELEARN_TIME_CONSTANTS = 10
/** A storm stays alive above this fraction of the band and of the absolute floors (hysteresis on the level). */
const KEEP_ALIVE = 0.5
/** The band's half-width in band units (σ̂) never falls below this fraction of the mean, nor below 1 per
 * second: a steady signal has a deviation near 0. */
const MIN_RELATIVE_SPREAD = 0.1
const MIN_ABSOLUTE_SPREAD = 1

/** The two series of the shared detector. */
const RATE = 0
const ERRORS = 1

/**
 * Storm detection for one upstream from its client requests and those answered 5xx, per second, sampled on the cluster's
 * tick, each rate a series of the robust baseline anomaly detection uses (util/robust-detector.ts: EWMA level
 * and mean absolute deviation, Huber-clipped, warm-up, frozen while anomalous). A sample is anomalous when a
 * rate is above its band and above its absolute floor (minRate, minErrorRate: a quiet upstream never storms),
 * failures also only when at least minErrorFraction of the requests fail (one dead endpoint of several is
 * outlier detection's business, and retries are what hide it); ENTER_SAMPLES anomalous samples in a row start
 * a storm. It ends, with hysteresis, after `calmMs` of samples none above half the band (and half the floors).
 * Nothing is detected during the warm-up: without history there is no baseline to be anomalous against.
 */
export class StormDetector implements StormSignal {
  private readonly detector: RobustDetector
  private lastMs = Number.NaN
  private lastRequests = 0
  private lastFailures = 0

  constructor(private readonly config: StormConfig) {
    this.detector = new RobustDetector(2, {
      // α = 1 − e^(−Δt/τ): an EWMA with time constant τ sampled every Δt.
      alpha: 1 - Math.exp(-SAMPLE_MS / config.baselineMs),
      bandWidth: config.band,
      minAbsolute: config.band * MIN_ABSOLUTE_SPREAD,
      minRelative: config.band * MIN_RELATIVE_SPREAD,
      warmupSamples: Math.round(config.warmupMs / SAMPLE_MS),
      enterAfter: ENTER_SAMPLES,
      exitAfter: Math.max(1, Math.round(config.calmMs / SAMPLE_MS)),
      relearnAfter: Math.max(1, Math.round((RELEARN_TIME_CONSTANTS * config.baselineMs) / SAMPLE_MS)),
      exitBand: KEEP_ALIVE,
      sides: Side.High,
    })
  }

  storming(): boolean {
    return this.detector.active(RATE) !== 0 || this.detector.active(ERRORS) !== 0
  }

  describe(): Record<string, number | string> {
    const d = this.detector
    // An error burst is named first: it is the storm retries feed on.
    const series = d.active(ERRORS) !== 0 ? ERRORS : RATE
    return {
      signal: series === ERRORS ? 'errors' : 'rate',
      observed: round(d.observed(series)),
      expectedLow: round(Math.max(0, d.expectedLow(series))),
      expectedHigh: round(d.expectedHigh(series)),
    }
  }

  /** `requests` and `failures`: the upstream's client requests and those answered 5xx since start (monotonic), at `nowMs`. */
  sample(requests: number, failures: number, nowMs: number): void {
    if (Number.isNaN(this.lastMs)) {
      this.lastMs = nowMs
      this.lastRequests = requests
      this.lastFailures = failures
      return
    }
    const dtMs = nowMs - this.lastMs
    if (dtMs <= 0) return
    const rate = ((requests - this.lastRequests) * 1000) / dtMs
    const errors = ((failures - this.lastFailures) * 1000) / dtMs
    this.lastMs = nowMs
    this.lastRequests = requests
    this.lastFailures = failures
    const c = this.config
    // The floors that let a sample alarm; half of them keep a storm alive.
    const rateScale = this.detector.active(RATE) !== 0 ? KEEP_ALIVE : 1
    this.detector.step(RATE, rate, rate >= c.minRatePerSecond * rateScale)
    const errorScale = this.detector.active(ERRORS) !== 0 ? KEEP_ALIVE : 1
    this.detector.step(ERRORS, errors, errors >= c.minErrorsPerSecond * errorScale && errors >= c.minErrorFraction * errorScale * rate)
  }

  /**
   * Takes over a replaced cluster's baselines and state (a reload of the upstream keeps its history); the new
   * cluster counts from 0, so its next sample is measured from 0.
   */
  adopt(previous: StormDetector): void {
    this.detector.adopt(previous.detector)
    this.lastMs = previous.lastMs
    this.lastRequests = 0
    this.lastFailures = 0
  }
}

function round(x: number): number {
  return Math.round(x * 100) / 100
}
