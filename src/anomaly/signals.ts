import type { AnomalyConfig } from '../config/types.js'
import { RobustDetector, Side, type DetectorOptions } from '../util/robust-detector.js'
import type { TrafficSeries } from './traffic-series.js'

/** What an anomaly is about: request rate up or down, p99 latency up, 5xx fraction up. */
export type AnomalySignal = 'surge' | 'drop' | 'latency' | 'error'
export const ANOMALY_SIGNALS: readonly AnomalySignal[] = ['surge', 'drop', 'latency', 'error']

/**
 * The minimum effects, fixed on purpose (they are what "not noise" means, not tuning): a rate change of
 * 5 req/s and 50 %; a p99 that at least doubles and grows by 5 ms; an error fraction up by 2 points and
 * by half its level. A p99 needs 1000 latencies in the window, so it rests on 10 slow requests: over fewer, a
 * heavy tail makes the window's p99 the luck of one or two requests (at 20 req/s and a 10 s window it varied
 * ×3 from one window to the next in the 24 h test). Below that rate the latency signal is off (NaN);
 * an error fraction needs 20 requests, and an error burst 5 errors (1 error in 20 requests is 5 %, and it stays
 * in the window for its whole length).
 */
const RATE_MIN_ABSOLUTE = 5
const RATE_MIN_RELATIVE = 0.5
const LATENCY_MIN_ABSOLUTE_MS = 5
const LATENCY_MIN_RELATIVE = 1
const ERROR_MIN_ABSOLUTE = 0.02
const ERROR_MIN_RELATIVE = 0.5
const MIN_LATENCY_SAMPLES = 1000
const MIN_ERROR_REQUESTS = 20
const MIN_ERRORS = 5

/** The onChange code of an anomaly ended because its series left the config (beside util/robust-detector.ts's Transition codes). */
export const REMOVED = 4

/** The three baselines of one set of series (rate is two-sided: its High side is a surge, its Low side a drop). */
export class SignalDetectors {
  readonly rate: RobustDetector
  readonly latency: RobustDetector
  readonly errors: RobustDetector
  /** 1 once a series has had a request: an idle series is not learned as a rate of 0 before its traffic starts. */
  private started: Uint8Array
  private readonly intervalSeconds: number

  constructor(config: AnomalyConfig) {
    const common = commonOptions(config)
    this.rate = new RobustDetector(0, { ...common, minAbsolute: RATE_MIN_ABSOLUTE, minRelative: RATE_MIN_RELATIVE, sides: Side.High | Side.Low })
    this.latency = new RobustDetector(0, { ...common, minAbsolute: LATENCY_MIN_ABSOLUTE_MS, minRelative: LATENCY_MIN_RELATIVE, sides: Side.High })
    this.errors = new RobustDetector(0, { ...common, minAbsolute: ERROR_MIN_ABSOLUTE, minRelative: ERROR_MIN_RELATIVE, sides: Side.High })
    this.started = new Uint8Array(0)
    this.intervalSeconds = config.intervalMs / 1000
  }

  /**
   * One sample of every series of `traffic` (after its rotate()); `onChange(slot, detector, signal, code)`
   * for each start or end. Per series: three window sums and one quantile scan, O(window × buckets).
   */
  sample(traffic: TrafficSeries, onChange: (slot: number, detector: RobustDetector, signal: AnomalySignal, code: number) => void): void {
    const n = traffic.names().length
    this.grow(n)
    for (let slot = 0; slot < n; slot++) {
      if (!traffic.isLive(slot)) {
        if (this.started[slot] === 1) this.forget(slot, onChange)
        continue
      }
      const requests = traffic.windowRequests(slot)
      if (requests > 0) this.started[slot] = 1
      if (this.started[slot] === 0) continue
      const rateSide = this.rate.active(slot)
      const rateCode = this.rate.step(slot, requests / (traffic.window * this.intervalSeconds))
      if (rateCode !== 0) onChange(slot, this.rate, rateSignal(this.rate.active(slot) || rateSide), rateCode)
      const p99 = traffic.windowLatencyCount(slot) >= MIN_LATENCY_SAMPLES ? traffic.windowQuantile(slot, 0.99) : Number.NaN
      const latencyCode = this.latency.step(slot, p99)
      if (latencyCode !== 0) onChange(slot, this.latency, 'latency', latencyCode)
      const errors = traffic.windowErrors(slot)
      const fraction = requests >= MIN_ERROR_REQUESTS ? errors / requests : Number.NaN
      const errorCode = this.errors.step(slot, fraction, errors >= MIN_ERRORS)
      if (errorCode !== 0) onChange(slot, this.errors, 'error', errorCode)
    }
  }

  /** Whether series `slot` is in an anomaly of `signal` now. */
  active(slot: number, signal: AnomalySignal): boolean {
    switch (signal) {
      case 'surge':
        return this.rate.active(slot) === Side.High
      case 'drop':
        return this.rate.active(slot) === Side.Low
      case 'latency':
        return this.latency.active(slot) !== 0
      case 'error':
        return this.errors.active(slot) !== 0
    }
  }

  /** A series that left the config: its active anomalies end (code REMOVED) and its baselines start afresh if it returns. */
  private forget(slot: number, onChange: (slot: number, detector: RobustDetector, signal: AnomalySignal, code: number) => void): void {
    const rateSide = this.rate.active(slot)
    if (rateSide !== 0) onChange(slot, this.rate, rateSignal(rateSide), REMOVED)
    if (this.latency.active(slot) !== 0) onChange(slot, this.latency, 'latency', REMOVED)
    if (this.errors.active(slot) !== 0) onChange(slot, this.errors, 'error', REMOVED)
    this.rate.reset(slot)
    this.latency.reset(slot)
    this.errors.reset(slot)
    this.started[slot] = 0
  }

  private grow(n: number): void {
    if (n <= this.started.length) return
    const started = new Uint8Array(n)
    started.set(this.started)
    this.started = started
    this.rate.grow(n)
    this.latency.grow(n)
    this.errors.grow(n)
  }
}

function rateSignal(side: number): AnomalySignal {
  return side === Side.Low ? 'drop' : 'surge'
}

/** Samples per duration, at least 1. */
function samplesOf(ms: number, intervalMs: number): number {
  return Math.max(1, Math.round(ms / intervalMs))
}

function commonOptions(config: AnomalyConfig): Omit<DetectorOptions, 'minAbsolute' | 'minRelative' | 'sides'> {
  return {
    // α = 1 − e^(−Δt/τ): an EWMA with time constant τ sampled every Δt.
    alpha: 1 - Math.exp(-config.intervalMs / config.baselineMs),
    bandWidth: config.bandWidth,
    warmupSamples: Math.round(config.warmupMs / config.intervalMs),
    enterAfter: config.enterAfter,
    exitAfter: config.exitAfter,
    relearnAfter: samplesOf(config.relearnAfterMs, config.intervalMs),
    exitBand: 1,
  }
}
