import { Outcome } from '../util/outcome.js'
import type { OutlierConfig } from '../config/types.js'
import { medianInPlace } from '../util/median.js'
import { LogHistograms } from './log-histogram.js'

/** Why an endpoint looks like an outlier. */
export type OutlierReason = 'consecutive-5xx' | 'consecutive-gateway-errors' | 'success-rate' | 'failure-percentage' | 'latency'

/** Every reason, in a fixed order: the index of a reason in this list is its counter slot. */
export const OUTLIER_REASONS: readonly OutlierReason[] = [
  'consecutive-5xx',
  'consecutive-gateway-errors',
  'success-rate',
  'failure-percentage',
  'latency',
]

/** Told of every detection; deciding whether to eject (the cap, already ejected) is the listener's job. */
export interface OutlierListener {
  onOutlier(index: number, reason: OutlierReason, data: Record<string, number>): void
}

/** The figures of the last evaluated interval, for the admin API. */
export interface IntervalStats {
  /** Requests the interval counted for this endpoint (client aborts excluded). */
  requests: number
  /** successes / requests, NaN without requests. */
  successRate: number
  /** ms, NaN without responses. */
  p99Ms: number
  /** Consecutive evaluated intervals over the latency multiple so far. */
  latencyStreak: number
}

interface SuccessRateSpread {
  mean: number
  stdev: number
  /** mean − successRateStdevFactor · stdev */
  threshold: number
}

/** Slot of each reason in per-reason counter arrays. */
export const OUTLIER_REASON_INDEX: ReadonlyMap<OutlierReason, number> = new Map(OUTLIER_REASONS.map((r, k) => [r, k]))

/** Per-reason counters (indexed as OUTLIER_REASONS) as a record. */
export function byReason(counters: ArrayLike<number>): Record<OutlierReason, number> {
  return Object.fromEntries(OUTLIER_REASONS.map((r, k) => [r, counters[k]])) as Record<OutlierReason, number>
}

/**
 * Passive outlier detection over live traffic, after Envoy's outlier detector.
 *
 * observe() runs on the hot path: O(1) updates of typed arrays, no allocation. It counts
 *   - consecutive server errors: a 5xx status or any failure with no usable response (connect failure,
 *     timeout, reset, protocol error) — what Envoy's consecutive_5xx counts — reset by a success (< 500);
 *   - consecutive gateway errors: connect failures, resets and timeouts in a row, reset by anything else;
 *   - per-interval requests and failures, and a latency histogram of the responses (status received).
 * A client abort is not the backend's fault and counts for nothing. A consecutive threshold reached
 * requests an ejection at once and restarts that counter (as Envoy does), so a refused ejection is asked
 * again after another full streak.
 *
 * evaluate() runs once per interval (the caller's timer) over the endpoints with at least
 * successRateRequestVolume requests in the interval; each rule needs its own number of such endpoints:
 *   - success rate below mean − successRateStdevFactor·σ, with the population σ (Envoy's
 *     successRateEjectionThreshold: {50,100,100,100,100} → mean 90, σ 20, threshold 52), from
 *     successRateMinimumHosts endpoints;
 *   - failure percentage ≥ failurePercentageThreshold (Envoy's failure_percentage, with the success-rate
 *     volume gate), from failurePercentageMinimumHosts endpoints;
 *   - p99 latency above latencyMultiple × the median p99 of those endpoints, for latencyIntervals evaluated
 *     intervals in a row (an interval without enough volume or endpoints breaks the streak), from
 *     latencyMinimumHosts endpoints.
 * Each endpoint is reported at most once per evaluation, in that order of reasons. Then the interval restarts.
 */
export class OutlierDetector {
  private readonly consecutive5xx: Int32Array
  private readonly consecutiveGateway: Int32Array
  private readonly requests: Uint32Array
  private readonly failures: Uint32Array
  private readonly latencies: LogHistograms
  private readonly latencyStreaks: Int32Array
  /** Last evaluated interval, for intervalStats(). */
  private readonly lastRequests: Uint32Array
  private readonly lastSuccessRate: Float64Array
  private readonly lastP99: Float64Array
  /** Detections by reason since start (enforcement is counted by whoever ejects). */
  private readonly detected: Float64Array
  /** Scratch for evaluate(): indexes of the endpoints with enough volume, and their p99s to take the median of. */
  private readonly qualified: Int32Array
  private readonly p99Scratch: Float64Array

  constructor(
    endpoints: number,
    private readonly config: OutlierConfig,
    private readonly listener: OutlierListener,
  ) {
    this.consecutive5xx = new Int32Array(endpoints)
    this.consecutiveGateway = new Int32Array(endpoints)
    this.requests = new Uint32Array(endpoints)
    this.failures = new Uint32Array(endpoints)
    this.latencies = new LogHistograms(endpoints)
    this.latencyStreaks = new Int32Array(endpoints)
    this.lastRequests = new Uint32Array(endpoints)
    this.lastSuccessRate = new Float64Array(endpoints).fill(Number.NaN)
    this.lastP99 = new Float64Array(endpoints).fill(Number.NaN)
    this.detected = new Float64Array(OUTLIER_REASONS.length)
    this.qualified = new Int32Array(endpoints)
    this.p99Scratch = new Float64Array(endpoints)
  }

  /** Hot path. `status` is the response status, 0 when none came; latencyMs is time to headers or failure. */
  observe(i: number, outcome: Outcome, status: number, latencyMs: number): void {
    if (outcome === Outcome.ClientAbort) return
    const gateway = outcome === Outcome.ConnectFailure || outcome === Outcome.Timeout || outcome === Outcome.Reset
    const failed = outcome !== Outcome.Success || status >= 500
    this.requests[i]++
    if (status > 0) this.latencies.record(i, latencyMs)
    if (!failed) {
      this.consecutive5xx[i] = 0
      this.consecutiveGateway[i] = 0
      return
    }
    this.failures[i]++
    this.consecutiveGateway[i] = gateway ? this.consecutiveGateway[i] + 1 : 0
    this.consecutive5xx[i]++
    if (this.consecutiveGateway[i] >= this.config.consecutiveGatewayErrors) {
      this.consecutiveGateway[i] = 0
      this.report(i, 'consecutive-gateway-errors', { consecutive: this.config.consecutiveGatewayErrors })
    }
    if (this.consecutive5xx[i] >= this.config.consecutive5xx) {
      this.consecutive5xx[i] = 0
      this.report(i, 'consecutive-5xx', { consecutive: this.config.consecutive5xx })
    }
  }

  /**
   * Off the hot path, once per intervalMs: the interval statistics above, then a fresh interval.
   * `skip(i)` true leaves endpoint i out of the statistics (Envoy leaves out ejected hosts).
   */
  evaluate(skip: (i: number) => boolean = () => false): void {
    const n = this.collect(skip)
    const spread = n >= this.config.successRateMinimumHosts ? this.successRateSpread(n) : null
    const byFailurePercentage = n >= this.config.failurePercentageMinimumHosts
    const medianP99 = n >= this.config.latencyMinimumHosts ? this.medianP99(n) : Number.NaN
    for (let k = 0; k < n; k++) this.judge(this.qualified[k], spread, byFailurePercentage, medianP99)
    this.requests.fill(0)
    this.failures.fill(0)
    this.latencies.clear()
  }

  /** Detections by reason since start. */
  detectedCounts(): Record<OutlierReason, number> {
    return byReason(this.detected)
  }

  intervalStats(i: number): IntervalStats {
    return {
      requests: this.lastRequests[i],
      successRate: this.lastSuccessRate[i],
      p99Ms: this.lastP99[i],
      latencyStreak: this.latencyStreaks[i],
    }
  }

  /** Stores the finished interval's figures; returns how many endpoints qualify, listed in `qualified`. */
  private collect(skip: (i: number) => boolean): number {
    let n = 0
    for (let i = 0; i < this.requests.length; i++) {
      const requests = this.requests[i]
      this.lastRequests[i] = requests
      this.lastSuccessRate[i] = requests === 0 ? Number.NaN : 1 - this.failures[i] / requests
      this.lastP99[i] = this.latencies.quantile(i, 0.99)
      if (requests >= this.config.successRateRequestVolume && !skip(i)) this.qualified[n++] = i
      else this.latencyStreaks[i] = 0
    }
    return n
  }

  /** Mean, population standard deviation and ejection threshold of the qualified endpoints' success rates. */
  private successRateSpread(n: number): SuccessRateSpread {
    let sum = 0
    for (let k = 0; k < n; k++) sum += this.lastSuccessRate[this.qualified[k]]
    const mean = sum / n
    let squares = 0
    for (let k = 0; k < n; k++) squares += (this.lastSuccessRate[this.qualified[k]] - mean) ** 2
    const stdev = Math.sqrt(squares / n)
    return { mean, stdev, threshold: mean - this.config.successRateStdevFactor * stdev }
  }

  /** Median p99 of the qualified endpoints (mean of the middle two for an even count); NaN when none responded. */
  private medianP99(n: number): number {
    let m = 0
    for (let k = 0; k < n; k++) {
      const p99 = this.lastP99[this.qualified[k]]
      if (!Number.isNaN(p99)) this.p99Scratch[m++] = p99
    }
    return medianInPlace(this.p99Scratch.subarray(0, m))
  }

  /** spread null: too few endpoints for success-rate ejection; medianP99 NaN: none for latency ejection. */
  private judge(i: number, spread: SuccessRateSpread | null, byFailurePercentage: boolean, medianP99: number): void {
    const successRate = this.lastSuccessRate[i]
    const failurePercent = 100 * (1 - successRate)
    const p99 = this.lastP99[i]
    const slow = p99 > this.config.latencyMultiple * medianP99 // false when either is NaN
    this.latencyStreaks[i] = slow ? this.latencyStreaks[i] + 1 : 0
    if (spread !== null && successRate < spread.threshold) {
      this.latencyStreaks[i] = 0
      this.report(i, 'success-rate', { successRate, threshold: spread.threshold, mean: spread.mean, stdev: spread.stdev })
    } else if (byFailurePercentage && failurePercent >= this.config.failurePercentageThreshold) {
      this.latencyStreaks[i] = 0
      this.report(i, 'failure-percentage', { failurePercent, threshold: this.config.failurePercentageThreshold })
    } else if (this.latencyStreaks[i] >= this.config.latencyIntervals) {
      this.report(i, 'latency', { p99Ms: p99, medianP99Ms: medianP99, intervals: this.latencyStreaks[i] })
      this.latencyStreaks[i] = 0
    }
  }

  private report(i: number, reason: OutlierReason, data: Record<string, number>): void {
    this.detected[OUTLIER_REASON_INDEX.get(reason)!]++
    this.listener.onOutlier(i, reason, data)
  }
}
