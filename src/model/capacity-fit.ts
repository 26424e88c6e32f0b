import { PolynomialRegression } from 'ml-regression'
import { requirePositiveInteger } from './options.js'

/**
 * Each backend's latency-vs-load curve: latencyMs ≈ c₀ + c₁·inflight + c₂·inflight² + …
 * Flat while the backend has spare capacity, bending upward at the knee where it saturates
 * (queueing delay grows faster than linearly as utilisation approaches 1).
 *
 * record() is O(1) into a preallocated ring per endpoint (hot path); fit() runs least-squares
 * polynomial fits of each candidate degree on a timer (off the hot path, allocates); predict()
 * evaluates the chosen polynomial by Horner's rule (hot path, no allocation).
 */
export interface CapacityFitOptions {
  /** N: endpoints, indexed by Endpoint.index. */
  endpoints: number
  /** Ring size per endpoint: fits use the most recent this-many samples. Default 512. */
  capacity?: number
  /** Candidate polynomial degrees, each ≥ 1. Default [1, 2, 3]. */
  degrees?: readonly number[]
  /** Fewest samples for fit() to try. Default 32. */
  minSamples?: number
  /** Every k-th sample (in arrival order) is held out to validate the fits. Default 4: 25% held out. */
  holdoutEvery?: number
}

export interface CapacityFitResult {
  degree: number
  /** Ascending powers of inflight: latencyMs = Σ coefficients[k]·inflightᵏ. */
  coefficients: number[]
  /** Mean squared error on the held-out samples, in ms². */
  heldOutMse: number
  /** Samples in the ring when fitting (train plus held out). */
  samples: number
}

const DEFAULT_CAPACITY = 512
const DEFAULT_DEGREES: readonly number[] = [1, 2, 3]
const DEFAULT_MIN_SAMPLES = 32
const DEFAULT_HOLDOUT_EVERY = 4
/** No fit stored for this endpoint. */
const NO_FIT = -1

interface Split {
  trainX: number[]
  trainY: number[]
  testX: number[]
  testY: number[]
}

interface Candidate {
  degree: number
  coefficients: number[]
  mse: number
  /** Standard error of mse: sd(squared errors) / √(held-out count). */
  standardError: number
}

export class CapacityFit {
  private readonly capacity: number
  private readonly degrees: readonly number[]
  private readonly minSamples: number
  private readonly holdoutEvery: number
  /** Coefficients per endpoint: maxDegree + 1. */
  private readonly stride: number
  /** N×capacity rings. */
  private readonly inflights: Float64Array
  private readonly latencies: Float64Array
  /** Next slot to write, and how many slots are filled. */
  private readonly next: Int32Array
  private readonly filled: Int32Array
  /** N×stride, valid up to fittedDegree[i]. */
  private readonly fitted: Float64Array
  private readonly fittedDegree: Int32Array

  constructor(options: CapacityFitOptions) {
    const { endpoints } = options
    const capacity = options.capacity ?? DEFAULT_CAPACITY
    const degrees = options.degrees ?? DEFAULT_DEGREES
    const minSamples = options.minSamples ?? DEFAULT_MIN_SAMPLES
    const holdoutEvery = options.holdoutEvery ?? DEFAULT_HOLDOUT_EVERY
    requirePositiveInteger('endpoints', endpoints)
    requirePositiveInteger('capacity', capacity)
    requirePositiveInteger('minSamples', minSamples)
    if (!Number.isInteger(holdoutEvery) || holdoutEvery < 2) {
      throw new RangeError(`holdoutEvery must be an integer >= 2, got ${holdoutEvery}`)
    }
    if (degrees.length === 0) throw new RangeError('degrees must not be empty')
    for (const d of degrees) requirePositiveInteger('degree', d)
    // Every candidate needs at least degree + 1 training points and one held-out point.
    const maxDegree = Math.max(...degrees)
    if (minSamples < holdoutEvery || minSamples - Math.floor(minSamples / holdoutEvery) < maxDegree + 1) {
      throw new RangeError(`minSamples ${minSamples} is too few for degree ${maxDegree} with holdoutEvery ${holdoutEvery}`)
    }
    if (capacity < minSamples) throw new RangeError(`capacity ${capacity} is below minSamples ${minSamples}`)
    this.capacity = capacity
    this.degrees = [...degrees].sort((a, b) => a - b)
    this.minSamples = minSamples
    this.holdoutEvery = holdoutEvery
    this.stride = maxDegree + 1
    this.inflights = new Float64Array(endpoints * capacity)
    this.latencies = new Float64Array(endpoints * capacity)
    this.next = new Int32Array(endpoints)
    this.filled = new Int32Array(endpoints)
    this.fitted = new Float64Array(endpoints * this.stride)
    this.fittedDegree = new Int32Array(endpoints).fill(NO_FIT)
  }

  /** O(1), no allocation; non-finite or negative samples are ignored. */
  record(i: number, inflight: number, latencyMs: number): void {
    if (!(inflight >= 0 && latencyMs >= 0) || !Number.isFinite(inflight) || !Number.isFinite(latencyMs)) return
    const slot = i * this.capacity + this.next[i]
    this.inflights[slot] = inflight
    this.latencies[slot] = latencyMs
    this.next[i] = this.next[i] + 1 === this.capacity ? 0 : this.next[i] + 1
    if (this.filled[i] < this.capacity) this.filled[i] += 1
  }

  /** Samples currently in endpoint i's ring. */
  samples(i: number): number {
    return this.filled[i]
  }

  /**
   * Fit every candidate degree on the training split and keep the one that predicts the held-out
   * samples best, preferring the lowest degree within one standard error of the best held-out MSE
   * (the "one-standard-error rule": Hastie, Tibshirani & Friedman, "The Elements of Statistical
   * Learning", 2nd ed., §7.10), so noise does not buy a needlessly curvy model.
   * Null when there are too few samples or too few distinct inflight values; the previous fit is then kept.
   */
  fit(i: number): CapacityFitResult | null {
    const samples = this.filled[i]
    if (samples < this.minSamples) return null
    const split = this.split(i)
    const candidates: Candidate[] = []
    for (const degree of this.degrees) {
      const candidate = fitDegree(split, degree)
      if (candidate !== null) candidates.push(candidate)
    }
    if (candidates.length === 0) return null
    const best = candidates.reduce((a, b) => (b.mse < a.mse ? b : a))
    const chosen = candidates.find((c) => c.mse <= best.mse + best.standardError) ?? best
    this.setCoefficients(i, chosen.coefficients)
    return { degree: chosen.degree, coefficients: chosen.coefficients, heldOutMse: chosen.mse, samples }
  }

  /** Expected latency (ms) at this inflight from the last chosen fit; NaN before any fit. No allocation. */
  predict(i: number, inflight: number): number {
    const degree = this.fittedDegree[i]
    if (degree === NO_FIT) return Number.NaN
    return horner(this.fitted, i * this.stride, degree, inflight)
  }

  /** The chosen curve's coefficients (ascending powers), or null before any fit: for versions and persistence. */
  coefficients(i: number): number[] | null {
    const degree = this.fittedDegree[i]
    if (degree === NO_FIT) return null
    const base = i * this.stride
    return Array.from(this.fitted.subarray(base, base + degree + 1))
  }

  /** Install a curve (rollback, a loaded model), or null to forget it. */
  setCoefficients(i: number, coefficients: readonly number[] | null): void {
    if (coefficients === null) {
      this.fittedDegree[i] = NO_FIT
      return
    }
    if (coefficients.length === 0 || coefficients.length > this.stride) {
      throw new RangeError(`expected 1..${this.stride} coefficients, got ${coefficients.length}`)
    }
    this.fitted.set(coefficients, i * this.stride)
    this.fittedDegree[i] = coefficients.length - 1
  }

  /** Forget endpoint i's samples and curve. */
  reset(i: number): void {
    this.next[i] = 0
    this.filled[i] = 0
    this.fittedDegree[i] = NO_FIT
  }

  /** Oldest to newest; every holdoutEvery-th sample goes to the test set, so both sets span the same loads and time. */
  private split(i: number): Split {
    const n = this.filled[i]
    const base = i * this.capacity
    const oldest = n < this.capacity ? 0 : this.next[i]
    const split: Split = { trainX: [], trainY: [], testX: [], testY: [] }
    for (let k = 0; k < n; k++) {
      const slot = base + ((oldest + k) % this.capacity)
      const heldOut = k % this.holdoutEvery === this.holdoutEvery - 1
      const xs = heldOut ? split.testX : split.trainX
      const ys = heldOut ? split.testY : split.trainY
      xs.push(this.inflights[slot])
      ys.push(this.latencies[slot])
    }
    return split
  }
}

/**
 * Least-squares polynomial of one degree on the training set, scored on the test set; null when the
 * training set has too few distinct inflight values or the solve is singular.
 * ml-regression solves the normal equations, whose conditioning is the square of the design
 * matrix's, so inflight is scaled to [0, 1] for the fit and the coefficients scaled back:
 * c_k = c'_k / scaleᵏ.
 */
function fitDegree(split: Split, degree: number): Candidate | null {
  if (new Set(split.trainX).size <= degree) return null
  // Positive: inflight is never negative and there are at least two distinct values.
  const scale = split.trainX.reduce((max, x) => (x > max ? x : max), 0)
  let scaled: number[]
  try {
    scaled = new PolynomialRegression(split.trainX.map((x) => x / scale), split.trainY, degree).coefficients
  } catch {
    return null // ml-matrix throws when the system is singular
  }
  const coefficients = scaled.map((c, k) => c / scale ** k)
  if (!coefficients.every(Number.isFinite)) return null
  const squaredErrors = split.testX.map((x, k) => (horner(coefficients, 0, degree, x) - split.testY[k]) ** 2)
  const mse = mean(squaredErrors)
  const variance = mean(squaredErrors.map((e) => (e - mse) ** 2))
  return { degree, coefficients, mse, standardError: Math.sqrt(variance / squaredErrors.length) }
}

/** Σ c[offset + k]·xᵏ for k = 0..degree, by Horner's rule: degree multiply-adds, no allocation. */
function horner(c: ArrayLike<number>, offset: number, degree: number, x: number): number {
  let acc = c[offset + degree]
  for (let k = degree - 1; k >= 0; k--) acc = acc * x + c[offset + k]
  return acc
}

function mean(values: readonly number[]): number {
  let sum = 0
  for (const v of values) sum += v
  return sum / values.length
}
