import { requirePositive, requirePositiveInteger } from './options.js'

/**
 * Page-Hinkley test for a change in the mean of a stream, one detector per endpoint; fed with the
 * regression's residuals it tells when an endpoint's behaviour has changed and the model is stale.
 *
 * Source: E. S. Page, "Continuous Inspection Schemes", Biometrika 41 (1954); in the form given by
 * J. Gama et al., "A Survey on Concept Drift Adaptation", ACM Computing Surveys 46(4), 2014:
 *   x̄ₜ = running mean of x₁..xₜ
 *   mₜ = Σ (xₛ − x̄ₛ − δ)         Mₜ = min mₛ       increase when mₜ − Mₜ > λ
 * and symmetrically for a decrease:
 *   uₜ = Σ (xₛ − x̄ₛ + δ)         Uₜ = max uₛ       decrease when Uₜ − uₜ > λ
 * δ is the change magnitude tolerated (in the stream's units), λ the alarm threshold (units × samples):
 * a shift of s > δ is detected after about λ / (s − δ) samples; a larger λ means fewer false alarms.
 */
export interface PageHinkleyOptions {
  /** N: detectors, indexed by Endpoint.index. */
  endpoints: number
  /** δ: tolerated change in the mean, in the stream's units (ms for latency residuals). */
  tolerance: number
  /** λ: alarm threshold on the cumulative deviation, in the stream's units × samples. */
  threshold: number
  /** No alarm before this many samples since a reset, so the mean has settled. Default 30 (as river's PageHinkley). */
  minSamples?: number
  /** Also alarm on a decrease of the mean. Default false: only increases. */
  detectDecrease?: boolean
}

const DEFAULT_MIN_SAMPLES = 30

export class PageHinkley {
  private readonly tolerance: number
  private readonly threshold: number
  private readonly minSamples: number
  private readonly detectDecrease: boolean
  private readonly count: Float64Array
  private readonly mean: Float64Array
  /** mₜ and Mₜ. */
  private readonly sumUp: Float64Array
  private readonly minUp: Float64Array
  /** uₜ and Uₜ. */
  private readonly sumDown: Float64Array
  private readonly maxDown: Float64Array

  constructor(options: PageHinkleyOptions) {
    const { endpoints, tolerance, threshold } = options
    const minSamples = options.minSamples ?? DEFAULT_MIN_SAMPLES
    requirePositiveInteger('endpoints', endpoints)
    if (!(tolerance >= 0) || !Number.isFinite(tolerance)) {
      throw new RangeError(`tolerance must be finite and >= 0, got ${tolerance}`)
    }
    requirePositive('threshold', threshold)
    requirePositiveInteger('minSamples', minSamples)
    this.tolerance = tolerance
    this.threshold = threshold
    this.minSamples = minSamples
    this.detectDecrease = options.detectDecrease ?? false
    this.count = new Float64Array(endpoints)
    this.mean = new Float64Array(endpoints)
    this.sumUp = new Float64Array(endpoints)
    this.minUp = new Float64Array(endpoints)
    this.sumDown = new Float64Array(endpoints)
    this.maxDown = new Float64Array(endpoints)
  }

  /** Add one value; true when drift is detected, and then endpoint i's detector starts afresh. O(1), no allocation. */
  add(i: number, value: number): boolean {
    if (!Number.isFinite(value)) return false
    const n = this.count[i] + 1
    this.count[i] = n
    const mean = this.mean[i] + (value - this.mean[i]) / n
    this.mean[i] = mean
    const deviation = value - mean
    const up = this.sumUp[i] + deviation - this.tolerance
    const down = this.sumDown[i] + deviation + this.tolerance
    this.sumUp[i] = up
    this.sumDown[i] = down
    if (up < this.minUp[i]) this.minUp[i] = up
    if (down > this.maxDown[i]) this.maxDown[i] = down
    if (n < this.minSamples) return false
    const increased = up - this.minUp[i] > this.threshold
    const decreased = this.detectDecrease && this.maxDown[i] - down > this.threshold
    if (!increased && !decreased) return false
    this.reset(i)
    return true
  }

  reset(i: number): void {
    this.count[i] = 0
    this.mean[i] = 0
    this.sumUp[i] = 0
    this.minUp[i] = 0
    this.sumDown[i] = 0
    this.maxDown[i] = 0
  }
}
