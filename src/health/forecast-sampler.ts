import { Outcome } from '../util/outcome.js'
import { medianInPlace } from '../util/median.js'
import { LogHistograms, shiftGroup } from './log-histogram.js'

/** What a forecast sample is handed to: ClusterHealth.recordForecastSample. */
export interface ForecastSink {
  recordForecastSample(i: number, nowMs: number, p99Ms: number, errorRate: number): void
  /** The median of the interval's endpoint p99s, ms; NaN with fewer than two endpoints answering. */
  setLatencyBaseline(medianP99Ms: number): void
}

/**
 * Attempts a sample should rest on: the p99 of fewer is little more than their maximum, so one lucky or
 * unlucky answer would swing the fitted trend. An endpoint the policy sends little traffic reaches this
 * by reaching back into earlier intervals.
 */
export const MIN_SAMPLE_ATTEMPTS = 20
/** A sample covers at most this many intervals, whatever the endpoint's traffic: trends stay current. */
export const MAX_MERGED_INTERVALS = 3

/**
 * The per-interval figures the forecaster fits trends to: each endpoint's p99 latency to response headers
 * and its error rate (failures and 5xx over answered attempts). Its own histograms, so the interval matches
 * forecast.intervalMs (a few seconds), not the 10 s statistics rollover.
 * Every endpoint that had traffic in the interval reports on every flush. One with fewer than
 * MIN_SAMPLE_ATTEMPTS attempts in it reports over the latest intervals that together reach that many, at
 * most MAX_MERGED_INTERVALS of them: a sliding window, so a low-traffic endpoint's samples still come once
 * per interval (overlapping) instead of once per several, which would leave the forecaster too few of them.
 * Client aborts never count. An endpoint without traffic in the interval reports NaN (no fresh sample).
 */
export class ForecastSampler {
  /** Per endpoint i, rows i·K .. i·K + K − 1 (K = MAX_MERGED_INTERVALS): this interval's first, oldest last. */
  private readonly latencies: LogHistograms
  private readonly attempts: Uint32Array
  private readonly failures: Uint32Array
  /** Scratch for the median: this interval's p99s of the endpoints that answered. */
  private readonly p99s: Float64Array

  constructor(private readonly endpoints: number) {
    const rows = endpoints * MAX_MERGED_INTERVALS
    this.latencies = new LogHistograms(rows)
    this.attempts = new Uint32Array(rows)
    this.failures = new Uint32Array(rows)
    this.p99s = new Float64Array(endpoints)
  }

  /** Hot path, O(1). `status` 0 when no response came. */
  observe(i: number, outcome: Outcome, status: number, latencyMs: number): void {
    if (outcome === Outcome.ClientAbort) return
    const row = i * MAX_MERGED_INTERVALS
    this.attempts[row]++
    if (outcome !== Outcome.Success || status >= 500) this.failures[row]++
    if (status > 0) this.latencies.record(row, latencyMs)
  }

  /** Hands each endpoint's sample to `sink` (NaN when idle) and the median of the p99s; a new interval starts. */
  flush(sink: ForecastSink, nowMs: number): void {
    let answered = 0
    for (let i = 0; i < this.endpoints; i++) {
      const p99Ms = this.report(i, sink, nowMs)
      if (!Number.isNaN(p99Ms)) this.p99s[answered++] = p99Ms
      this.shift(i)
    }
    sink.setLatencyBaseline(answered < 2 ? Number.NaN : medianInPlace(this.p99s.subarray(0, answered)))
  }

  /** Endpoint i's sample over as many of its latest intervals as MIN_SAMPLE_ATTEMPTS needs; returns its p99. */
  private report(i: number, sink: ForecastSink, nowMs: number): number {
    const first = i * MAX_MERGED_INTERVALS
    if (this.attempts[first] === 0) {
      sink.recordForecastSample(i, nowMs, Number.NaN, Number.NaN)
      return Number.NaN
    }
    let attempts = 0
    let failures = 0
    let rows = 0
    while (rows < MAX_MERGED_INTERVALS && attempts < MIN_SAMPLE_ATTEMPTS) {
      attempts += this.attempts[first + rows]
      failures += this.failures[first + rows]
      rows++
    }
    const p99Ms = this.latencies.quantileOfRange(first, rows, 0.99)
    sink.recordForecastSample(i, nowMs, p99Ms, failures / attempts)
    return p99Ms
  }

  /** Endpoint i's intervals age by one: the oldest is dropped, the current starts empty. */
  private shift(i: number): void {
    const first = i * MAX_MERGED_INTERVALS
    this.latencies.shift(first, MAX_MERGED_INTERVALS)
    shiftGroup(this.attempts, first, MAX_MERGED_INTERVALS)
    shiftGroup(this.failures, first, MAX_MERGED_INTERVALS)
  }
}
