import { CapacityFit } from './capacity-fit.js'

/** Candidate degrees of the capacity curve (CapacityFit keeps one by held-out error), so at most 4 coefficients. */
const CURVE_DEGREES: readonly number[] = [1, 2, 3]
export const CURVE_COEFFICIENTS = 4
/** A curve is refitted only after this many new answers since its last fit (nothing new to learn before). */
const MIN_NEW_SAMPLES = 32
/** No fitted capacity curve. */
const NO_CURVE = Number.NaN

/**
 * Each endpoint's latency-versus-in-flight curve (a CapacityFit polynomial refitted on the timer) and what the
 * hot path reads of it, cached per endpoint at each fit, rollback or load: curve(1), the largest in-flight the
 * curve was fitted on, curve(there) and the slope beyond. queueMs() is then O(1) and allocates nothing.
 */
export class CapacityCurves {
  private readonly fit: CapacityFit
  /** Largest in-flight recorded: the curve is trusted up to it. */
  private readonly maxInflight: Float64Array
  /** From the last fit: curve(1) (NaN: no curve), the top q, curve(top), slope beyond top. */
  private readonly baseMs: Float64Array
  private readonly top: Float64Array
  private readonly topMs: Float64Array
  private readonly slope: Float64Array
  /** Held-out MSE of each curve's last fit, ms²; NaN when not fitted here (loaded or rolled back curves too). */
  private readonly mse: Float64Array
  /** Answers recorded since each curve's last fit. */
  private readonly newSamples: Int32Array

  constructor(readonly size: number) {
    this.fit = new CapacityFit({ endpoints: size, degrees: CURVE_DEGREES })
    this.maxInflight = new Float64Array(size)
    this.baseMs = new Float64Array(size).fill(NO_CURVE)
    this.top = new Float64Array(size)
    this.topMs = new Float64Array(size)
    this.slope = new Float64Array(size)
    this.mse = new Float64Array(size).fill(Number.NaN)
    this.newSamples = new Int32Array(size)
  }

  /** Hot path: an answer after latencyMs with `inflight` requests at endpoint i (this one included). */
  record(i: number, inflight: number, latencyMs: number): void {
    this.fit.record(i, inflight, latencyMs)
    this.newSamples[i] += 1
    if (inflight > this.maxInflight[i]) this.maxInflight[i] = inflight
  }

  /**
   * curve(q) − curve(1), never below 0; 0 without a curve. Beyond the largest in-flight the curve was fitted
   * on, a polynomial's extrapolation is arbitrary (a cubic may turn down), so it continues as a straight
   * line with the curve's last slope.
   */
  queueMs(i: number, q: number): number {
    const base = this.baseMs[i]
    if (Number.isNaN(base)) return 0 // no curve
    const atQ = this.latencyMs(i, q)
    return atQ > base ? atQ - base : 0
  }

  /** curve(q), ms, with the straight continuation beyond the fitted range (see queueMs); NaN without a curve. */
  latencyMs(i: number, q: number): number {
    if (Number.isNaN(this.baseMs[i])) return Number.NaN
    const top = this.top[i]
    return q <= top ? this.fit.predict(i, q) : this.topMs[i] + (q - top) * this.slope[i]
  }

  /** The largest in-flight i's curve was fitted on (1 for a loaded or rolled-back curve): how far it is evidence. */
  fittedUpTo(i: number): number {
    return this.top[i]
  }

  /** Forget endpoint i's curve and samples: no queueing term until a refit on new answers. */
  reset(i: number): void {
    this.fit.reset(i)
    this.maxInflight[i] = 0
    this.newSamples[i] = 0
    this.mse[i] = Number.NaN
    this.baseMs[i] = NO_CURVE
  }

  /** Enough new answers since i's last fit for a refit to learn something. */
  wantsRefit(i: number): boolean {
    return this.newSamples[i] >= MIN_NEW_SAMPLES
  }

  /** Refit endpoint i's curve (it keeps the previous one when there are too few samples). */
  refit(i: number): void {
    this.newSamples[i] = 0
    const result = this.fit.fit(i)
    if (result === null) return
    this.mse[i] = result.heldOutMse
    this.cache(i)
  }

  /** Mean held-out MSE (ms²) of the current curves as last fitted; null when none was fitted. */
  heldOutError(): number | null {
    let sum = 0
    let fitted = 0
    for (let i = 0; i < this.size; i++) {
      if (Number.isNaN(this.mse[i])) continue
      sum += this.mse[i]
      fitted++
    }
    return fitted === 0 ? null : sum / fitted
  }

  /** i's curve, ascending powers of q; null when none. */
  coefficients(i: number): number[] | null {
    return this.fit.coefficients(i)
  }

  /** Install a curve from coefficients() (a rollback or a load); its held-out error is unknown here. */
  setCoefficients(i: number, coefficients: readonly number[] | null): void {
    this.fit.setCoefficients(i, coefficients)
    this.mse[i] = Number.NaN
    this.cache(i)
  }

  private cache(i: number): void {
    const base = this.fit.predict(i, 1)
    const top = this.maxInflight[i] > 1 ? this.maxInflight[i] : 1
    const topMs = this.fit.predict(i, top)
    const slope = topMs - this.fit.predict(i, top - 1)
    this.baseMs[i] = base
    this.top[i] = top
    this.topMs[i] = topMs
    this.slope[i] = slope > 0 ? slope : 0
  }
}
