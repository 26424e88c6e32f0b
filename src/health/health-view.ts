import type { Forecast } from './forecaster.js'
import type { IntervalStats, OutlierReason } from './outlier-detector.js'
import type { ActiveState } from './rise-fall.js'

/* What ClusterHealth shows of itself to the admin API and Prometheus (admin/upstreams-api.ts, admin/health-metrics.ts). */

/** Why an endpoint is or is not routable, most fundamental first. */
export type EndpointHealthState = 'available' | 'unknown' | 'unhealthy' | 'ejected' | 'drained'

/** One endpoint's health, for the admin API. */
export interface EndpointHealth {
  state: EndpointHealthState
  /** In the set handed to the balancer (true for every known endpoint in panic mode). */
  routed: boolean
  /** Active checks say healthy (always true when active checks are off). */
  activeHealthy: boolean
  activeState: ActiveState
  ejected: boolean
  /** Ejections since start. */
  ejectionCount: number
  /** Backoff multiplier: the next ejection lasts base × (this + 1), capped. */
  ejectionMultiplier: number
  ejectionRemainingMs: number
  /** Weight multiplier in (0, 1]: below 1 while ramping after (re)entering service. */
  slowStartFactor: number
  /** Drained by the forecaster or by an operator. */
  drained: boolean
  /** Drained by an operator (admin API), until undrained by one. */
  manualDrain: boolean
  /** When an operator's ejection ends, wall-clock ms since the epoch; null unless the ejection is manual. */
  manualEjectionUntilMs: number | null
  /** The more imminent of the latency and error-rate forecasts; null before a fit or with forecasts off. */
  forecast: Forecast | null
  /** The last outlier interval's figures; null with outlier detection off. */
  outlier: IntervalStats | null
}

/** Counters for Prometheus and the admin API. */
export interface ClusterHealthStats {
  panic: boolean
  available: number
  ejected: number
  /** Endpoints that may be ejected at once (besides the always-allowed first). */
  maxEjected: number
  /** Outlier detections by reason, and those that became ejections. */
  detected: Record<OutlierReason, number>
  enforced: Record<OutlierReason, number>
  /** Ejections refused by maxEjectionFraction. */
  ejectionOverflow: number
  /** Predicted failures not drained because draining would have pushed the upstream into panic. */
  drainsRefused: number
}
