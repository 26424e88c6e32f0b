import type { Int32Histogram } from 'hdr-histogram-js'
import { createLatencyHistogram, summarizeLatency, toMicros, type LatencySummary } from './latency-histogram.js'
import { addToBuckets, LATENCY_BUCKET_BOUNDS_US } from './latency-buckets.js'

export type { LatencySummary } from './latency-histogram.js'

/** Responses per status class. */
export interface StatusClassCounts {
  '1xx': number
  '2xx': number
  '3xx': number
  '4xx': number
  '5xx': number
}

/** Monotonic counters since the endpoint was created. */
export interface EndpointCounts {
  /** Finished attempts: responses, backend failures and client aborts. */
  requests: number
  byClass: StatusClassCounts
  /** Failed attempts that count against the backend (client aborts excluded). */
  errors: number
  errorsByCode: Record<string, number>
  /** Attempts the client abandoned: never the backend's fault. */
  clientAborts: number
}

/** Latency of every response since the endpoint was created, in the fixed LATENCY_BUCKET_BOUNDS_US buckets. */
export interface CumulativeLatency {
  /** Responses per bucket (not cumulative): one slot per bound, then one above the last bound. */
  buckets: Float64Array
  /** Sum of the latencies, µs. */
  sumUs: number
  /** Responses counted; the sum of `buckets`. */
  count: number
}

export interface EndpointStatsSnapshot extends EndpointCounts {
  /** Finished attempts per second over the previous and the current interval. */
  rps: number
  latencyMs: LatencySummary
}

/**
 * Request statistics of one endpoint. record*() run on the proxy's hot path: plain number fields, no allocation
 * (except the first failure of a new code), no prom-client. rollover() runs on a timer; summaries are computed
 * on demand (admin API, Prometheus scrape).
 *
 * Time is split into intervals (rollover every ~10 s). Latency is recorded into `current`; at rollover it
 * becomes `previous` and the old previous is reset and reused as the new current. Quantiles and rps cover
 * previous ∪ current: recent, yet never empty right after a rollover.
 */
export class EndpointStats {
  private requests = 0
  private class1xx = 0
  private class2xx = 0
  private class3xx = 0
  private class4xx = 0
  private class5xx = 0
  private errors = 0
  private clientAborts = 0
  /** Backend failures per ProxyError code; the codes are few, so the map stops growing quickly. */
  private readonly errorsByCode = new Map<string, number>()
  private current: Int32Histogram = createLatencyHistogram()
  private previous: Int32Histogram = createLatencyHistogram()
  /** Sums of the latencies in `current` and `previous`, µs: an exact mean (the histogram's own walks every bucket, ~3 ms). */
  private currentSumUs = 0
  private previousSumUs = 0
  /**
   * Every finished interval folded into fixed buckets at rollover (112 bytes, not another 95 KB histogram),
   * so a Prometheus histogram since start survives the two-interval window; recordResponse does not touch it.
   */
  private readonly finishedBuckets = new Float64Array(LATENCY_BUCKET_BOUNDS_US.length + 1)
  private finishedSumUs = 0
  private finishedCount = 0
  /** Start of the previous interval (of the current one until the first rollover), ms on the injected clock. */
  private windowStartMs: number
  /** Start of the current interval, ms. */
  private currentStartMs: number
  /** `requests` at windowStartMs and at currentStartMs. */
  private requestsAtWindowStart = 0
  private requestsAtCurrentStart = 0

  /** `startMs`: clock reading when counting starts; 0 is the origin of performance.now(), i.e. process start. */
  constructor(startMs = 0) {
    this.windowStartMs = startMs
    this.currentStartMs = startMs
  }

  /** A response arrived; `latencyMs` is the time to its headers. */
  recordResponse(status: number, latencyMs: number): void {
    this.requests++
    switch ((status / 100) | 0) {
      case 1:
        this.class1xx++
        break
      case 2:
        this.class2xx++
        break
      case 3:
        this.class3xx++
        break
      case 4:
        this.class4xx++
        break
      case 5:
        this.class5xx++
        break
    }
    const us = toMicros(latencyMs)
    this.current.recordValue(us)
    this.currentSumUs += us
  }

  /**
   * An attempt failed before any response with a ProxyError code. `byClient` marks failures that are the
   * client's doing (it left, or sent a body that broke its own framing): counted apart, never as the
   * backend's errors. Failures stay out of the latency histogram: a refused connect fails in microseconds
   * and would make a dead backend look fast.
   */
  recordFailure(code: string, byClient: boolean): void {
    this.requests++
    if (byClient) {
      this.clientAborts++
      return
    }
    this.countError(code)
  }

  /** The response started (already counted by recordResponse) and then the backend broke it off. */
  recordBrokenResponse(code: string): void {
    this.countError(code)
  }

  private countError(code: string): void {
    this.errors++
    this.errorsByCode.set(code, (this.errorsByCode.get(code) ?? 0) + 1)
  }

  /** Ends the current interval at `nowMs`: it becomes the previous one, and the oldest histogram is reused. */
  rollover(nowMs: number): void {
    const finished = this.current
    addToBuckets(finished, this.finishedBuckets)
    this.finishedSumUs += this.currentSumUs
    this.finishedCount += finished.totalCount
    this.current = this.previous
    this.current.reset()
    this.previous = finished
    this.previousSumUs = this.currentSumUs
    this.currentSumUs = 0
    this.windowStartMs = this.currentStartMs
    this.requestsAtWindowStart = this.requestsAtCurrentStart
    this.currentStartMs = nowMs
    this.requestsAtCurrentStart = this.requests
  }

  counts(): EndpointCounts {
    return {
      requests: this.requests,
      byClass: {
        '1xx': this.class1xx,
        '2xx': this.class2xx,
        '3xx': this.class3xx,
        '4xx': this.class4xx,
        '5xx': this.class5xx,
      },
      errors: this.errors,
      errorsByCode: Object.fromEntries(this.errorsByCode),
      clientAborts: this.clientAborts,
    }
  }

  /** Finished attempts per second since the start of the previous interval; 0 if no time has passed. */
  rps(nowMs: number): number {
    const elapsedMs = nowMs - this.windowStartMs
    return elapsedMs > 0 ? ((this.requests - this.requestsAtWindowStart) * 1000) / elapsedMs : 0
  }

  /** Latency over previous ∪ current; all 0 when no response was recorded. ~20 µs: not per request. */
  latency(): LatencySummary {
    return summarizeLatency(this.previous, this.current, this.previousSumUs + this.currentSumUs)
  }

  /** The histograms behind latency() (previous, current), for quantiles over several endpoints; read, never record. */
  latencyHistograms(): readonly Int32Histogram[] {
    return [this.previous, this.current]
  }

  /**
   * Latency since creation: the finished intervals' buckets plus the current interval read now. Monotonic
   * between rollovers and across them (a rollover moves the current interval's values into the finished
   * buckets, exactly once). For the Prometheus histogram, at scrape time: ~6 µs (Node 20, latencies up to
   * 50 ms; 20 µs with values up to 1 h).
   */
  cumulativeLatency(): CumulativeLatency {
    const buckets = Float64Array.from(this.finishedBuckets)
    addToBuckets(this.current, buckets)
    return { buckets, sumUs: this.finishedSumUs + this.currentSumUs, count: this.finishedCount + this.current.totalCount }
  }

  /** Finished attempts since creation (counts().requests without building the object): O(1), for timers. */
  attempts(): number {
    return this.requests
  }

  /** Responses since creation and the sum of their latencies, µs (cumulativeLatency() without the buckets): O(1). */
  responses(): number {
    return this.finishedCount + this.current.totalCount
  }

  latencySumUs(): number {
    return this.finishedSumUs + this.currentSumUs
  }

  /** Everything, as a JSON-able object. */
  snapshot(nowMs: number): EndpointStatsSnapshot {
    return { ...this.counts(), rps: this.rps(nowMs), latencyMs: this.latency() }
  }
}
