import type { ForecastConfig } from '../config/types.js'
import { SampleWindows } from './sample-window.js'
import { crossingInMs, fitTrend, type Trend } from './trend.js'

export type ForecastMetric = 'latency' | 'error-rate'

/** One metric's trend and where it leads, for decisions and the admin API. */
export interface Forecast {
  metric: ForecastMetric
  /** The trend's value now: p99 ms for latency, a fraction for the error rate. */
  current: number
  /** The value the trend is projected towards (latencyLimitMs or errorRateLimit). */
  limit: number
  slopePerSecond: number
  /** ms until the trend reaches the limit; 0 when already there, Infinity when not rising. */
  crossingInMs: number
  r2: number
  samples: number
}

export type ForecastDecision = 'drain' | 'undrain'

export interface ForecastListener {
  /** forecast: the trend behind the decision; null for an undrain because the window ran out of samples. */
  onForecast(index: number, decision: ForecastDecision, forecast: Forecast | null, cause: string): void
}

/** Fewest samples in the window to fit a line: fewer and R² means little (two points always fit exactly). */
const MIN_SAMPLES = 5
/** The window may hold samples recorded up to twice per interval, plus one at each edge. */
const SAMPLES_PER_INTERVAL = 2

/**
 * Predictive draining: per endpoint, a sliding window (windowMs) of (time, p99 latency) and (time, error
 * rate) samples, recorded by the caller once per intervalMs; evaluate() fits a line to each metric
 * (trend.ts) and projects when it reaches its limit.
 *   drain   when some metric rises (slope > 0), fits well (R² ≥ minR2) and reaches its limit within
 *           leadTimeMs; the most imminent such metric is reported;
 *   undrain once no metric both rises and reaches its limit within 2 × leadTimeMs (any R²): the factor
 *           of two is hysteresis, so a drain does not flap on the edge of the lead time.
 * A drained endpoint gets no traffic, so no new samples (record NaN, or nothing): its window empties and,
 * with fewer than 5 samples left, it is undrained ("too few samples") to be measured again — a drain lasts
 * at most about windowMs unless fresh samples keep confirming it (in panic mode, say).
 */
export class Forecaster {
  private readonly latency: SampleWindows
  private readonly errorRate: SampleWindows
  private readonly draining: Uint8Array
  private readonly latest: { latency: Forecast | null; errorRate: Forecast | null }[]

  constructor(
    endpoints: number,
    private readonly config: ForecastConfig,
    private readonly listener: ForecastListener,
  ) {
    const capacity = SAMPLES_PER_INTERVAL * Math.ceil(config.windowMs / config.intervalMs) + 2
    this.latency = new SampleWindows(endpoints, capacity)
    this.errorRate = new SampleWindows(endpoints, capacity)
    this.draining = new Uint8Array(endpoints)
    this.latest = Array.from({ length: endpoints }, () => ({ latency: null, errorRate: null }))
  }

  /** O(1). A NaN value (no traffic in the interval) is not recorded. */
  record(i: number, nowMs: number, p99Ms: number, errorRate: number): void {
    if (!Number.isNaN(p99Ms)) this.latency.push(i, nowMs, p99Ms)
    if (!Number.isNaN(errorRate)) this.errorRate.push(i, nowMs, errorRate)
  }

  /**
   * Off the hot path, once per intervalMs: refits every endpoint and tells the listener of each decision.
   * `latencyLimitMs` is what latency trends are projected towards (default: the configured latencyLimitMs).
   */
  evaluate(nowMs: number, latencyLimitMs = this.config.latencyLimitMs): void {
    const sinceMs = nowMs - this.config.windowMs
    for (let i = 0; i < this.draining.length; i++) {
      const latency = this.project('latency', fitTrend(this.latency.since(i, sinceMs), nowMs, MIN_SAMPLES), latencyLimitMs)
      const errorRate = this.project('error-rate', fitTrend(this.errorRate.since(i, sinceMs), nowMs, MIN_SAMPLES), this.config.errorRateLimit)
      this.latest[i] = { latency, errorRate }
      if (this.draining[i] === 0) this.maybeDrain(i, latency, errorRate)
      else this.maybeUndrain(i, latency, errorRate)
    }
  }

  /** The more imminent of the two latest forecasts (latency on a tie), or null before any fit. */
  forecast(i: number): Forecast | null {
    return sooner(this.latest[i].latency, this.latest[i].errorRate)
  }

  /** Whether the last decision for endpoint i was 'drain'. */
  wantsDrain(i: number): boolean {
    return this.draining[i] === 1
  }

  private maybeDrain(i: number, latency: Forecast | null, errorRate: Forecast | null): void {
    const urgent = sooner(this.drainable(latency), this.drainable(errorRate))
    if (urgent === null) return
    this.draining[i] = 1
    const seconds = (urgent.crossingInMs / 1000).toFixed(1)
    this.listener.onForecast(i, 'drain', urgent, `${urgent.metric} projected to reach ${urgent.limit} in ${seconds} s (R² ${urgent.r2.toFixed(2)})`)
  }

  private maybeUndrain(i: number, latency: Forecast | null, errorRate: Forecast | null): void {
    if (this.holds(latency) || this.holds(errorRate)) return
    this.draining[i] = 0
    const trend = sooner(latency, errorRate)
    this.listener.onForecast(i, 'undrain', trend, undrainCause(trend))
  }

  /** The forecast when it meets the drain rule, else null. */
  private drainable(f: Forecast | null): Forecast | null {
    if (f === null) return null
    return f.slopePerSecond > 0 && f.r2 >= this.config.minR2 && f.crossingInMs <= this.config.leadTimeMs ? f : null
  }

  private holds(f: Forecast | null): boolean {
    return f !== null && f.slopePerSecond > 0 && f.crossingInMs <= 2 * this.config.leadTimeMs
  }

  private project(metric: ForecastMetric, trend: Trend | null, limit: number): Forecast | null {
    if (trend === null) return null
    return { metric, limit, crossingInMs: crossingInMs(trend, limit), ...trend }
  }
}

function sooner(a: Forecast | null, b: Forecast | null): Forecast | null {
  if (a === null) return b
  if (b === null) return a
  return b.crossingInMs < a.crossingInMs ? b : a
}

function undrainCause(trend: Forecast | null): string {
  if (trend === null) return `fewer than ${MIN_SAMPLES} samples in the window`
  if (!(trend.slopePerSecond > 0)) return `${trend.metric} no longer rising`
  return `${trend.metric} projected to reach ${trend.limit} only in ${(trend.crossingInMs / 1000).toFixed(1)} s`
}
