import type { AnomalyMonitor } from '../anomaly/anomaly-monitor.js'
import type { AuditSink } from '../audit/audit-entry.js'
import type { AuditPage, AuditQuery } from '../audit/audit-reader.js'
import type { ReloadOutcome } from '../config/config-diff.js'
import type { BatonConfig, RateLimitConfig } from '../config/types.js'
import type { Policy } from '../balancer/types.js'
import type { CheckResult } from '../health/active-checker.js'
import type { ManualEjectResult } from '../health/ejection-manager.js'
import type { EventLog } from '../health/event-log.js'
import type { EndpointHealth, ClusterHealthStats } from '../health/health-view.js'
import type { EndpointStats } from '../metrics/endpoint-stats.js'
import type { AdaptiveModelManager } from '../model/adaptive-manager.js'
import type { ScalingSnapshot } from '../scaling/upstream-scaling.js'
import type { AdmissionSnapshot } from '../overload/admission-control.js'

/**
 * The read-only view of the proxy that the admin server and the Prometheus registry consume. The cluster
 * objects satisfy it structurally (Cluster is an UpstreamView, ClusterEndpoint an EndpointView), so reading
 * it copies nothing and always shows the current values.
 */
export interface EndpointView {
  /** Endpoint.id: "host:port" or the configured name. */
  readonly id: string
  /** Endpoint.index: its position in the upstream. */
  readonly index: number
  /** Origin the endpoint is reached at, e.g. "http://10.0.0.5:8080". */
  readonly url: string
  readonly weight: number
  /** Requests sent and not yet finished (open WebSocket tunnels included). */
  readonly inflight: number
  /** WebSocket tunnels open through the endpoint. */
  readonly tunnels: number
  readonly stats: EndpointStats
}

/**
 * Health of an upstream and its endpoints by index, and the operator's hand on it (ClusterHealth satisfies it;
 * the admin API's writes are its only callers of the *Manually methods).
 */
export interface HealthView {
  describe(i: number, nowMs: number): EndpointHealth
  isRouted(i: number): boolean
  stats(): ClusterHealthStats
  ejectManually(i: number, durationMs: number, force: boolean, actor: string, reason: string): ManualEjectResult
  unejectManually(i: number, actor: string, reason: string): boolean
  drainManually(i: number, actor: string, reason: string): boolean
  undrainManually(i: number, actor: string, reason: string): boolean
}

/** Retry budget counters (RetryBudget satisfies it). */
export interface RetryBudgetView {
  readonly active: number
  readonly retrying: number
  readonly refused: number
  readonly granted: number
}

/** Storm damping of an upstream (StormDamper satisfies it). */
export interface StormView {
  readonly storming: boolean
  /** 1: retries and hedges as configured; 0: none. */
  readonly level: number
  readonly starts: number
}

/** Retry-After holds of an upstream by endpoint index (EndpointHolds satisfies it). */
export interface HoldsView {
  readonly total: number
  remainingMs(i: number, nowMs: number): number
}

/** One route's rate limit (RateLimiter satisfies it). */
export interface RateLimitView {
  readonly route: string
  readonly config: RateLimitConfig
  readonly limited: number
  readonly buckets: { readonly size: number; readonly capacity: number; readonly evictions: number }
}

export interface UpstreamView {
  readonly name: string
  /** Balancing policy as named in YAML, e.g. "least_request". */
  readonly policy: string
  readonly endpoints: readonly EndpointView[]
  readonly health: HealthView
  /** null when active checks are off. */
  readonly checker: { lastCheck(i: number): CheckResult | null } | null
  readonly retryBudget: RetryBudgetView
  /** Admission control (AdmissionControl satisfies it). */
  readonly admission: { describe(): AdmissionSnapshot }
  /** The policy, for explanations. */
  readonly balancer: { readonly policy: Policy }
  /** The learned model's versions; null unless the policy is adaptive. */
  readonly model: AdaptiveModelManager | null
  /** null with storm damping off. */
  readonly storm: StormView | null
  readonly holds: HoldsView
  /** The weight the admin API set for endpoint i; null when the config's applies. */
  manualWeight(i: number): number | null
  /** Sets endpoint i's weight now (admin API); false when it already was that. */
  setWeight(i: number, weight: number, actor: string, reason: string): boolean
  /** How many endpoints it needs (src/scaling/); null or absent without a scaling signal. */
  readonly scaling?: { describe(): ScalingSnapshot } | null
}

export interface AdminSource {
  upstreams(): readonly UpstreamView[]
  readonly events: EventLog
  /** The anomaly detector (GET /api/anomalies); null when it is off. */
  readonly anomalies: AnomalyMonitor | null
  /** Shutting down: /healthz answers 503 so load balancers in front stop sending. */
  draining(): boolean
  /** The routes' rate limits; absent: none. */
  rateLimits?(): readonly RateLimitView[]
  /** Reads the config file again and applies it (or refuses it, changing nothing); `actor` asked for it. */
  reload(actor: string): Promise<ReloadOutcome>
  /** The running config snapshot (GET /api/config shows it, secrets redacted). */
  config(): BatonConfig
  /** The audit trail: manual actions and admin auth failures are recorded here (actor = the token's name). */
  readonly audit: AuditSink
  /** Audit lines matching the query, across the live and rotated files (GET /api/audit). */
  readAudit(query: AuditQuery): Promise<AuditPage>
}
