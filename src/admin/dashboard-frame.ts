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
  /** The more imminent forecast; crossingInMs is null when the trend does not rise (JSON has no Infinity). */
  forecast: { metric: string; current: number; limit: number; crossingInMs: number | null } | null
}

export interface DashboardUpstream {
  name: string
  policy: string
  panic: boolean
  endpoints: DashboardEndpoint[]
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
