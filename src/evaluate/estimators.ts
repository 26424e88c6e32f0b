import { SeededRng } from '../util/rng.js'

/**
 * Off-policy estimators over a decision log, all written as weighted sums so that one pass over the log (kept
 * sorted by latency) gives every estimator's mean, quantile and error rate, and a bootstrap resample is only a
 * vector of counts (how many times each decision was drawn).
 *
 * For decision i: the chosen endpoint c_i, its outcome r_i, the logging probability μ_i of c_i within the
 * logged pair, the candidate's probabilities π_i(a) for the two endpoints a of the pair, and the importance
 * weight w_i = π_i(c_i) / μ_i. Over N decisions:
 *   logged  (1/N) Σ r_i                                   what the logging policy got (on-policy)
 *   IPS     (1/N) Σ w_i r_i                               inverse propensity scoring (Horvitz–Thompson)
 *   SNIPS   Σ w_i r_i / Σ w_i                             self-normalised IPS
 *   DR      (1/N) Σ [ Σ_a π_i(a) q̂(a) + w_i (r_i − q̂(c_i)) ]   doubly robust (Dudík, Langford, Li 2011)
 * with the reward model q̂(e) = the mean outcome logged for endpoint e (its empirical distribution for the
 * quantile), the pooled mean for an endpoint never chosen in the log. With that model DR is also a weighted sum:
 * v_i = w_i + (A_e − B_e) / n_e for e = c_i, where A_e = Σ_i π_i(e), B_e = Σ_{i: c_i = e} w_i, n_e = #{i: c_i = e},
 * plus (Σ of A over never-chosen endpoints) / N on every row; Σ v_i = N exactly.
 * Quantiles (p99) invert each estimator's weighted CDF (weights over N for logged, IPS and DR, over Σ w for
 * SNIPS), read at each logged latency's middle (Hazen: the weight of the smaller latencies plus half its own)
 * and linear between consecutive latencies with a positive weight; below the first middle it is the smallest
 * latency, and when the CDF never reaches q (IPS with Σ w / N < q) the largest it weighs. Unweighted, this is the
 * usual (i − ½)/n sample quantile; the step version (smallest t with F(t) ≥ q) was biased up at small
 * effective sample sizes. Latency is over the decisions that got an
 * answer (latencyMs ≥ 0); the error rate over all decisions, with its own reward model.
 */
export interface PreparedLog {
  readonly size: number
  /** Importance weight of each decision. */
  readonly weight: Float64Array
  /** Endpoint index of the chosen candidate, and of the pair (both the chosen one when one endpoint was available). */
  readonly chosen: Int32Array
  readonly first: Int32Array
  readonly second: Int32Array
  /** The candidate's probability of choosing first/second. */
  readonly pFirst: Float64Array
  readonly pSecond: Float64Array
  readonly latencyMs: Float64Array
  readonly failed: Uint8Array
  readonly endpoints: number
}

export const ESTIMATORS = ['logged', 'ips', 'snips', 'dr'] as const
export type EstimatorName = (typeof ESTIMATORS)[number]
export const METRICS = ['meanMs', 'p99Ms', 'errorRate'] as const
export type MetricName = (typeof METRICS)[number]

export interface Interval {
  value: number
  low: number
  high: number
}

export type Estimates = Record<EstimatorName, Record<MetricName, Interval>>

export interface EstimateOptions {
  /** Bootstrap resamples (percentile method). Default 1000. */
  resamples: number
  seed: number
  /** Two-sided level, e.g. 0.95. */
  confidence: number
  /** The latency quantile, e.g. 0.99. */
  quantile: number
}

const E = ESTIMATORS.length
const M = METRICS.length

/** Point estimates and bootstrap percentile intervals of every estimator for every metric. */
export function estimate(log: PreparedLog, options: EstimateOptions): Estimates {
  const scratch = new Scratch(log)
  const point = new Float64Array(E * M)
  const counts = new Float64Array(log.size).fill(1)
  scratch.run(counts, options.quantile, point)
  const series = Array.from({ length: E * M }, () => new Float64Array(options.resamples))
  const rng = new SeededRng(options.seed)
  const out = new Float64Array(E * M)
  for (let b = 0; b < options.resamples; b++) {
    counts.fill(0)
    for (let j = 0; j < log.size; j++) counts[(rng.next() * log.size) | 0]++
    scratch.run(counts, options.quantile, out)
    for (let k = 0; k < E * M; k++) series[k][b] = out[k]
  }
  const alpha = 1 - options.confidence
  const result = {} as Estimates
  ESTIMATORS.forEach((est, ei) => {
    result[est] = {} as Record<MetricName, Interval>
    METRICS.forEach((metric, mi) => {
      const k = ei * M + mi
      const finite = Array.from(series[k]).filter(Number.isFinite).sort((x, y) => x - y)
      result[est][metric] = {
        value: point[k],
        low: finite.length === 0 ? Number.NaN : sortedQuantile(finite, alpha / 2),
        high: finite.length === 0 ? Number.NaN : sortedQuantile(finite, 1 - alpha / 2),
      }
    })
  })
  return result
}

/** Kish's effective sample size (Σw)² / Σw² of the importance weights. */
export function effectiveSampleSize(weights: Float64Array): number {
  let s = 0
  let s2 = 0
  for (const w of weights) {
    s += w
    s2 += w * w
  }
  return s2 === 0 ? 0 : (s * s) / s2
}

/** Linear interpolation between order statistics (type 7). */
export function sortedQuantile(sorted: ArrayLike<number>, q: number): number {
  const h = (sorted.length - 1) * q
  const lo = Math.floor(h)
  const hi = Math.min(sorted.length - 1, lo + 1)
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo])
}

/** Buffers reused across resamples. */
class Scratch {
  private readonly n: Float64Array
  private readonly a: Float64Array
  private readonly b: Float64Array
  /** Decisions with an answer, by ascending latency. */
  private readonly order: Int32Array
  private readonly answered: Uint8Array
  private readonly all: Uint8Array
  private readonly v: Float64Array

  constructor(private readonly log: PreparedLog) {
    this.n = new Float64Array(log.endpoints)
    this.a = new Float64Array(log.endpoints)
    this.b = new Float64Array(log.endpoints)
    this.v = new Float64Array(log.size)
    this.answered = new Uint8Array(log.size)
    this.all = new Uint8Array(log.size).fill(1)
    const rows: number[] = []
    for (let i = 0; i < log.size; i++) {
      if (log.latencyMs[i] >= 0) {
        this.answered[i] = 1
        rows.push(i)
      }
    }
    rows.sort((x, y) => log.latencyMs[x] - log.latencyMs[y])
    this.order = Int32Array.from(rows)
  }

  /** Fills out[estimator * M + metric] for the multiset of decisions given by counts. */
  run(counts: Float64Array, quantile: number, out: Float64Array): void {
    const log = this.log
    // Latency: mean and quantile over the answered decisions.
    const lat = this.drWeights(counts, this.answered)
    const means = [0, 0, 0, 0]
    for (let i = 0; i < log.size; i++) {
      const c = counts[i] * this.answered[i]
      if (c === 0) continue
      const r = log.latencyMs[i]
      means[0] += c * r
      means[1] += c * log.weight[i] * r
      means[3] += c * this.v[i] * r
    }
    this.set(out, 'meanMs', [means[0] / lat.total, means[1] / lat.total, means[1] / lat.sumW, means[3] / lat.total])
    this.set(out, 'p99Ms', this.quantiles(counts, quantile, lat.total, lat.sumW))
    // Errors over all decisions.
    const all = this.drWeights(counts, this.all)
    const errs = [0, 0, 0, 0]
    for (let i = 0; i < log.size; i++) {
      const c = counts[i]
      if (c === 0 || log.failed[i] === 0) continue
      errs[0] += c
      errs[1] += c * log.weight[i]
      errs[3] += c * this.v[i]
    }
    this.set(out, 'errorRate', [errs[0] / all.total, errs[1] / all.total, errs[1] / all.sumW, errs[3] / all.total])
  }

  private set(out: Float64Array, metric: MetricName, values: number[]): void {
    const mi = METRICS.indexOf(metric)
    for (let ei = 0; ei < E; ei++) out[ei * M + mi] = values[ei]
  }

  /** Fills this.v with the DR weights over the rows in mask; returns N and Σ w over them. */
  private drWeights(counts: Float64Array, mask: Uint8Array): { total: number; sumW: number } {
    const log = this.log
    this.n.fill(0)
    this.a.fill(0)
    this.b.fill(0)
    let total = 0
    let sumW = 0
    for (let i = 0; i < log.size; i++) {
      const c = counts[i] * mask[i]
      if (c === 0) continue
      total += c
      sumW += c * log.weight[i]
      this.n[log.chosen[i]] += c
      this.b[log.chosen[i]] += c * log.weight[i]
      this.a[log.first[i]] += c * log.pFirst[i]
      this.a[log.second[i]] += c * log.pSecond[i]
    }
    let unseen = 0
    for (let e = 0; e < log.endpoints; e++) if (this.n[e] === 0) unseen += this.a[e]
    for (let i = 0; i < log.size; i++) {
      const e = log.chosen[i]
      this.v[i] = this.n[e] === 0 ? 0 : log.weight[i] + (this.a[e] - this.b[e]) / this.n[e] + (total === 0 ? 0 : unseen / total)
    }
    return { total, sumW }
  }

  /** The q-quantile of the weighted latency CDF of each estimator (see the header comment). */
  private quantiles(counts: Float64Array, q: number, total: number, sumW: number): number[] {
    const log = this.log
    const result = [Number.NaN, Number.NaN, Number.NaN, Number.NaN]
    const targets = [q * total, q * total, q * sumW, q * total]
    const cum = [0, 0, 0, 0]
    const mid = [0, 0, 0, 0]
    const weights = [0, 0, 0, 0]
    /** The last latency each estimator gave a positive weight, and whether there was one. */
    const previous = [0, 0, 0, 0]
    const hasPrevious = [0, 0, 0, 0]
    let last = Number.NaN
    for (let k = 0; k < this.order.length; k++) {
      const i = this.order[k]
      const c = counts[i]
      if (c === 0) continue
      const r = log.latencyMs[i]
      weights[0] = c
      weights[1] = weights[2] = c * log.weight[i]
      weights[3] = c * this.v[i]
      for (let e = 0; e < E; e++) {
        if (!Number.isNaN(result[e])) continue
        const w = weights[e]
        // The CDF at each point's middle (Hazen: cumulative weight before it + half its own), linear in between.
        // A relative tolerance: the DR weights sum to N only up to rounding.
        const m = cum[e] + w / 2
        if (w > 0 && m >= targets[e] * (1 - 1e-12)) {
          result[e] = hasPrevious[e] === 0 ? r : previous[e] + ((r - previous[e]) * (targets[e] - mid[e])) / (m - mid[e])
        }
        if (w > 0) {
          mid[e] = m
          previous[e] = r
          hasPrevious[e] = 1
        }
        cum[e] += w
      }
      last = r
    }
    // Never reached: the largest latency the estimator weighs (any, if it weighs none).
    for (let e = 0; e < E; e++) if (Number.isNaN(result[e])) result[e] = hasPrevious[e] === 1 ? previous[e] : last
    return result
  }
}
