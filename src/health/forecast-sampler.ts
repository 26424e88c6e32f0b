import { Outcome } from '../balancer/types.js'
import { medianInPlace } from '../util/median.js'
import { LogHistograms } from './log-histogram.js'

/** What a forecast sample is handed to: UpstreamHealth.recordForecastSample. */
export interface ForecastSink {
  recordForecastSample(i: number, nowMs: number, p99Ms: number, errorRate: number): void
  /** The median of the interval's endpoint p99s, ms; NaN with fewer than two endpoints answering. */
  setLatencyBaseline(medianP99Ms: number): void
}

/**
 * Attempts a sample should rest on: the p99 of fewer is little more than their maximum, so one lucky or
 * unlucky answer would swing the fitted trend. An endpoint the policy sends little traffic reaches this
 * by merging intervals.
 */
export const MIN_SAMPLE_ATTEMPTS = 20
/** An endpoint's sample covers at most this many intervals, whatever its traffic: trends stay current. */
export const MAX_MERGED_INTERVALS = 3

/**
 * The per-interval figures the forecaster fits trends to: each endpoint's p99 latency to response headers
 * and its error rate (failures and 5xx over answered attempts) since its last sample. Its own histograms, so
 * the interval matches forecast.intervalMs (a few seconds), not the 10 s statistics rollover.
 * An endpoint with fewer than MIN_SAMPLE_ATTEMPTS attempts carries them into the next interval, for up to
 * MAX_MERGED_INTERVALS intervals, and reports nothing until then (NaN).
 * Client aborts never count. An endpoint without traffic in the interval reports NaN (no sample).
 */
export class ForecastSampler {
  private readonly latencies: LogHistograms
  private readonly attempts: Uint32Array
  private readonly failures: Uint32Array
  /** Intervals the pending counts of each endpoint span so far. */
  private readonly spans: Uint8Array
  /** Scratch for the median: this interval's p99s of the endpoints that answered. */
  private readonly p99s: Float64Array

  constructor(private readonly endpoints: number) {
    this.latencies = new LogHistograms(endpoints)
    this.attempts = new Uint32Array(endpoints)
    this.failures = new Uint32Array(endpoints)
    this.spans = new Uint8Array(endpoints)
    this.p99s = new Float64Array(endpoints)
  }

  /** Hot path, O(1). `status` 0 when no response came. */
  observe(i: number, outcome: Outcome, status: number, latencyMs: number): void {
    if (outcome === Outcome.ClientAbort) return
    this.attempts[i]++
    if (outcome !== Outcome.Success || status >= 500) this.failures[i]++
    if (status > 0) this.latencies.record(i, latencyMs)
  }

  /**
   * Hands each endpoint's sample to `sink` (none while it carries too few attempts over; NaN when idle),
   * and the median of the p99s handed over; endpoints that reported start afresh.
   */
  flush(sink: ForecastSink, nowMs: number): void {
    let answered = 0
    for (let i = 0; i < this.endpoints; i++) {
      const attempts = this.attempts[i]
      if (attempts > 0 && attempts < MIN_SAMPLE_ATTEMPTS && ++this.spans[i] < MAX_MERGED_INTERVALS) continue
      const errorRate = attempts === 0 ? Number.NaN : this.failures[i] / attempts
      const p99Ms = this.latencies.quantile(i, 0.99)
      sink.recordForecastSample(i, nowMs, p99Ms, errorRate)
      if (!Number.isNaN(p99Ms)) this.p99s[answered++] = p99Ms
      this.restart(i)
    }
    sink.setLatencyBaseline(answered < 2 ? Number.NaN : medianInPlace(this.p99s.subarray(0, answered)))
  }

  private restart(i: number): void {
    this.latencies.clearOne(i)
    this.attempts[i] = 0
    this.failures[i] = 0
    this.spans[i] = 0
  }
}

