/*
 * The shape of one frame of GET /api/stream (Server-Sent Events, one `data:` line of JSON per frame, about one
 * a second). Shared by the server (admin/dashboard-sampler.ts) and the page (web/), which imports it as types
 * only: this file imports nothing, so the browser build compiles it without Node's types.
 */

export interface DashboardEndpoint {
  id: string
  /** EndpointHealthState: available, unknown, unhealthy, ejected, drained. */
  state: string
  routed: boolean
  ejected: boolean
  ejectionRemainingMs: number
  drained: boolean
  slowStartFactor: number
  weight: number
  inflight: number
  /** Finished attempts per second since the previous frame. */
  rate: number
  /** This endpoint's part (0..1) of its upstream's attempts since the previous frame; 0 when there were none. */
  share: number
  /** Failed attempts (the backend's fault) per finished attempt since the previous frame; 0 when there were none. */
  errorRate: number
  /** Response latency to headers over the recent interval (EndpointStats, ~10-20 s), ms; 0 without responses. */
  p50Ms: number
  p99Ms: number
  /** Observed mean latency over the same interval, ms. */
  meanMs: number
  /** The policy's expected latency, ms (adaptive: predictedLatencyMs; peak_ewma: its estimate); null otherwise. */
  predictedMs: number | null
  /** What an operator set through the admin API (GET /api/upstreams `manual`): drain, ejection, weight. */
  manual: { drained: boolean; ejected: boolean; weight: number | null }
  /** Time left of a backend's Retry-After hold, ms; 0 when none. */
  retryAfterHoldMs: number
  /** The more imminent forecast; crossingInMs is null when the trend does not rise (JSON has no Infinity). */
  forecast: { metric: string; current: number; limit: number; crossingInMs: number | null } | null
}

export interface DashboardUpstream {
  name: string
  policy: string
  panic: boolean
  /** The scaling signal (GET /api/upstreams `scaling`); null without one or with scaling.enabled false. */
  scaling: DashboardScaling | null
  /** Storm damping; null when off. level: 1 retries and hedges as configured, 0 none. */
  storm: { storming: boolean; level: number } | null
  /** Retry-After holds begun since start. */
  retryAfterHolds: number
  endpoints: DashboardEndpoint[]
}

/** What the panel header says of scaling (scaling/upstream-scaling.ts ScalingSnapshot, cut to it). */
export interface DashboardScaling {
  /** The published endpoint count; null until there is enough to go on (`reason` says what is missing). */
  recommended: number | null
  current: number
  /** Requests per second forecast `horizon` ahead; null before the first sample. */
  forecastRps: number | null
  reason: string | null
}

/** A health event (health/event-log.ts HealthEvent), anomalies included (kinds anomaly-start, anomaly-end). */
export interface DashboardEvent {
  timeMs: number
  upstream: string
  endpoint: string
  kind: string
  cause: string
  data: Readonly<Record<string, number | string>>
}

export interface DashboardFrame {
  /** Wall clock, ms since the epoch. */
  timeMs: number
  upstreams: DashboardUpstream[]
  /** Events pushed since the previous frame, oldest first. */
  events: DashboardEvent[]
}
