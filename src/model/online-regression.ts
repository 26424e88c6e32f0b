import { requirePositive, requirePositiveInteger } from './options.js'

/** Options for {@link OnlineRegression}; the defaults suit latency in ms. */
export interface OnlineRegressionOptions {
  /** N: number of endpoints, one model each, indexed by Endpoint.index. */
  endpoints: number
  /** D: features per sample. */
  features: number
  /** λ in (0, 1]: a sample k updates old weighs λᵏ; memory ≈ 1/(1 − λ) samples. Default 0.995 (≈ 200). */
  forgetting?: number
  /** δ: the prior covariance is P = δ·I; larger means a weaker prior and bigger first steps. Default 100. */
  initialCovariance?: number
  /** σ₀²: prior residual variance in y units squared (ms² for latency), worth one pseudo-sample. Default 100 (10 ms)². */
  priorVariance?: number
  /** Cap on trace(P). Default δ·D, the prior's trace: the model never becomes less sure than before any data. */
  maxTrace?: number
}

/** One endpoint's model as plain numbers, for persistence. */
export interface RegressionEndpointState {
  weights: number[]
  /** P, row-major D×D. */
  covariance: number[]
  /** E: λ-weighted sum of squared residuals (including the prior pseudo-sample). */
  residualEnergy: number
  /** λ-weighted sample count that E is divided by (including the prior pseudo-sample). */
  residualWeight: number
  /** Samples since the last reset, unweighted. */
  samples: number
}

export interface RegressionState {
  features: number
  /** In endpoint index order. */
  endpoints: RegressionEndpointState[]
}

const DEFAULT_FORGETTING = 0.995
const DEFAULT_INITIAL_COVARIANCE = 100
const DEFAULT_PRIOR_VARIANCE = 100

/**
 * Recursive least squares (RLS) with exponential forgetting, one independent model per endpoint.
 *
 * Source for every recursion below: S. Haykin, "Adaptive Filter Theory" (4th ed., 2002), chapter 9,
 * "Recursive Least-Squares Adaptive Filters" (real-valued case):
 *   π = P·x                      (P is the inverse of the λ-weighted correlation matrix of x)
 *   k = π / (λ + xᵀπ)            gain vector
 *   ξ = y − wᵀx                  a priori error (the residual of the prediction made before this sample)
 *   w ← w + k·ξ
 *   P ← (P − k·πᵀ) / λ
 *   γ = λ / (λ + xᵀπ)            conversion factor: the a posteriori error is e = γ·ξ
 *   E ← λ·E + ξ·e                minimum λ-weighted sum of squared errors
 * With noise variance σ², σ²·P is the covariance of w, so the variance of a new observation at x is
 * σ̂²·(1 + xᵀPx), with σ̂² = E / (λ-weighted sample count), both seeded with one pseudo-sample of σ₀².
 *
 * Callers include a constant 1 among the features if they want an intercept.
 * Index arguments `i` must lie in 0..endpoints−1; the hot-path methods do not check them.
 */
export class OnlineRegression {
  readonly endpoints: number
  readonly features: number
  private readonly lambda: number
  private readonly delta: number
  private readonly priorVariance: number
  private readonly maxTrace: number
  /** N×D. */
  private readonly weights: Float64Array
  /** N×D×D, each block symmetric positive definite. */
  private readonly covariance: Float64Array
  private readonly residualEnergy: Float64Array
  private readonly residualWeight: Float64Array
  private readonly sampleCounts: Float64Array
  /** Last a priori residual per endpoint. */
  private readonly residuals: Float64Array
  /** Scratch for π = P·x, reused by every update so the hot path allocates nothing. */
  private readonly pi: Float64Array

  constructor(options: OnlineRegressionOptions) {
    const { endpoints, features } = options
    const lambda = options.forgetting ?? DEFAULT_FORGETTING
    const delta = options.initialCovariance ?? DEFAULT_INITIAL_COVARIANCE
    const priorVariance = options.priorVariance ?? DEFAULT_PRIOR_VARIANCE
    const maxTrace = options.maxTrace ?? delta * features
    requirePositiveInteger('endpoints', endpoints)
    requirePositiveInteger('features', features)
    if (!(lambda > 0 && lambda <= 1)) throw new RangeError(`forgetting must be in (0, 1], got ${lambda}`)
    requirePositive('initialCovariance', delta)
    requirePositive('priorVariance', priorVariance)
    requirePositive('maxTrace', maxTrace)
    this.endpoints = endpoints
    this.features = features
    this.lambda = lambda
    this.delta = delta
    this.priorVariance = priorVariance
    this.maxTrace = maxTrace
    this.weights = new Float64Array(endpoints * features)
    this.covariance = new Float64Array(endpoints * features * features)
    this.residualEnergy = new Float64Array(endpoints)
    this.residualWeight = new Float64Array(endpoints)
    this.sampleCounts = new Float64Array(endpoints)
    this.residuals = new Float64Array(endpoints)
    this.pi = new Float64Array(features)
    for (let i = 0; i < endpoints; i++) this.reset(i)
  }

  /**
   * Learn from one observation y at features x. O(D²), no allocation. Returns false, learning nothing,
   * when y or x is not finite. The a priori residual is then available from residual(i); it is not
   * returned because V8 boxes a double returned from a function it does not inline, and this one is large.
   */
  update(i: number, x: Float64Array, y: number): boolean {
    const d = this.features
    if (!Number.isFinite(y) || !allFinite(x, d)) return false
    const w0 = i * d
    const p0 = i * d * d
    const { weights, covariance, pi, lambda } = this
    let xPx = 0
    let prediction = 0
    for (let j = 0; j < d; j++) {
      let s = 0
      const row = p0 + j * d
      for (let l = 0; l < d; l++) s += covariance[row + l] * x[l]
      pi[j] = s
      xPx += x[j] * s
      prediction += weights[w0 + j] * x[j]
    }
    const error = y - prediction
    const denominator = lambda + xPx
    const step = error / denominator
    for (let j = 0; j < d; j++) weights[w0 + j] += pi[j] * step
    // P ← (P − ππᵀ/denominator)/λ, since k·πᵀ = ππᵀ/denominator. Computing the upper triangle and
    // mirroring it keeps P exactly symmetric despite rounding.
    for (let j = 0; j < d; j++) {
      const pj = pi[j] / denominator
      for (let l = j; l < d; l++) {
        const v = (covariance[p0 + j * d + l] - pj * pi[l]) / lambda
        covariance[p0 + j * d + l] = v
        covariance[p0 + l * d + j] = v
      }
    }
    // ξ·e = γ·ξ² with γ = λ/denominator (Haykin's conversion factor).
    this.residualEnergy[i] = lambda * this.residualEnergy[i] + (lambda / denominator) * error * error
    this.residualWeight[i] = lambda * this.residualWeight[i] + 1
    this.residuals[i] = error
    this.sampleCounts[i] += 1
    this.guardCovariance(i)
    return true
  }

  /** wᵀx: the expected y at x. O(D), no allocation. */
  predict(i: number, x: Float64Array): number {
    const d = this.features
    const w0 = i * d
    let s = 0
    for (let j = 0; j < d; j++) s += this.weights[w0 + j] * x[j]
    return s
  }

  /** σ̂²·(1 + xᵀPx): variance of a new observation at x (noise plus uncertainty in w). O(D²), no allocation. */
  predictiveVariance(i: number, x: Float64Array): number {
    const d = this.features
    const p0 = i * d * d
    let xPx = 0
    for (let j = 0; j < d; j++) {
      let s = 0
      for (let l = 0; l < d; l++) s += this.covariance[p0 + j * d + l] * x[l]
      xPx += x[j] * s
    }
    return this.residualVariance(i) * (1 + xPx)
  }

  /** The a priori residual y − prediction of the last update (what a drift detector should watch); 0 after a reset. */
  residual(i: number): number {
    return this.residuals[i]
  }

  /** σ̂²: the λ-weighted mean of ξ·e, in y's units squared. */
  residualVariance(i: number): number {
    return this.residualEnergy[i] / this.residualWeight[i]
  }

  /** Samples learned since the last reset. */
  samples(i: number): number {
    return this.sampleCounts[i]
  }

  /**
   * Age the model as if `steps` samples had carried no information: P ← P·λ^(−steps), so uncertainty
   * grows back while an endpoint gets no traffic (for example steps = idle time / mean sample interval).
   * Bounded by the trace cap.
   */
  forget(i: number, steps: number): void {
    if (!(steps > 0) || !Number.isFinite(steps)) return
    const size = this.features * this.features
    const p0 = i * size
    const factor = Math.pow(this.lambda, -steps)
    for (let k = 0; k < size; k++) this.covariance[p0 + k] *= factor
    this.guardCovariance(i)
  }

  /** A copy of w, for the admin API. */
  coefficients(i: number): number[] {
    const d = this.features
    return Array.from(this.weights.subarray(i * d, (i + 1) * d))
  }

  /** Set w (a prior or a warm start); P and σ̂² are kept, so the prior's strength is unchanged. */
  setWeights(i: number, w: ArrayLike<number>): void {
    if (w.length !== this.features) throw new RangeError(`expected ${this.features} weights, got ${w.length}`)
    this.weights.set(w, i * this.features)
  }

  /** Back to the prior: w = 0, P = δ·I, σ̂² = σ₀² worth one pseudo-sample, no samples. */
  reset(i: number): void {
    this.weights.fill(0, i * this.features, (i + 1) * this.features)
    this.resetCovariance(i)
    this.residualEnergy[i] = this.priorVariance
    this.residualWeight[i] = 1
    this.sampleCounts[i] = 0
    this.residuals[i] = 0
  }

  exportState(): RegressionState {
    const d = this.features
    const endpoints: RegressionEndpointState[] = []
    for (let i = 0; i < this.endpoints; i++) {
      endpoints.push({
        weights: this.coefficients(i),
        covariance: Array.from(this.covariance.subarray(i * d * d, (i + 1) * d * d)),
        residualEnergy: this.residualEnergy[i],
        residualWeight: this.residualWeight[i],
        samples: this.sampleCounts[i],
      })
    }
    return { features: d, endpoints }
  }

  /** Load state from exportState(); returns false and changes nothing when the dimensions differ. */
  importState(state: RegressionState): boolean {
    const d = this.features
    if (state.features !== d || state.endpoints.length !== this.endpoints) return false
    const shapesMatch = state.endpoints.every((e) => e.weights.length === d && e.covariance.length === d * d)
    if (!shapesMatch) return false
    state.endpoints.forEach((e, i) => {
      this.weights.set(e.weights, i * d)
      this.covariance.set(e.covariance, i * d * d)
      this.residualEnergy[i] = e.residualEnergy
      this.residualWeight[i] = e.residualWeight
      this.sampleCounts[i] = e.samples
      this.residuals[i] = 0
      this.guardCovariance(i)
    })
    return true
  }

  /**
   * Guard against covariance blow-up ("estimator windup": with λ < 1, directions that the features do
   * not excite grow by 1/λ per sample without bound; Åström & Wittenmark, "Adaptive Control", 2nd ed.,
   * §11.5). Two remedies from there:
   *  - constant-trace bound: when trace(P) exceeds maxTrace, scale P down to it (keeps it symmetric
   *    positive definite and keeps the direction of the gain);
   *  - covariance resetting: when rounding has made P non-finite or a diagonal entry non-positive
   *    (P no longer positive definite), reset P to δ·I; w is kept.
   */
  private guardCovariance(i: number): void {
    const d = this.features
    const p0 = i * d * d
    let trace = 0
    let positiveDiagonal = true
    for (let j = 0; j < d; j++) {
      const v = this.covariance[p0 + j * d + j]
      trace += v
      if (!(v > 0)) positiveDiagonal = false
    }
    if (!positiveDiagonal || !Number.isFinite(trace)) {
      this.resetCovariance(i)
    } else if (trace > this.maxTrace) {
      const scale = this.maxTrace / trace
      for (let k = p0; k < p0 + d * d; k++) this.covariance[k] *= scale
    }
  }

  private resetCovariance(i: number): void {
    const d = this.features
    const p0 = i * d * d
    this.covariance.fill(0, p0, p0 + d * d)
    for (let j = 0; j < d; j++) this.covariance[p0 + j * d + j] = this.delta
  }
}

function allFinite(x: Float64Array, d: number): boolean {
  for (let j = 0; j < d; j++) if (!Number.isFinite(x[j])) return false
  return true
}
