import type { ReloadOutcome } from '../config/config-diff.js'
import type { Policy } from '../balancer/types.js'
import type { CheckResult } from '../health/active-checker.js'
import type { EventLog } from '../health/event-log.js'
import type { EndpointHealth, ClusterHealthStats } from '../health/health-view.js'
import type { EndpointStats } from '../metrics/endpoint-stats.js'
import type { AdaptiveModelManager } from '../model/adaptive-manager.js'
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

/** Health of an upstream and its endpoints by index (ClusterHealth satisfies it). */
export interface HealthView {
  describe(i: number, nowMs: number): EndpointHealth
  isRouted(i: number): boolean
  stats(): ClusterHealthStats
}

/** Retry budget counters (RetryBudget satisfies it). */
export interface RetryBudgetView {
  readonly active: number
  readonly retrying: number
  readonly refused: number
  readonly granted: number
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
}

export interface AdminSource {
  upstreams(): readonly UpstreamView[]
  readonly events: EventLog
  /** Shutting down: /healthz answers 503 so load balancers in front stop sending. */
  draining(): boolean
  /** Reads the config file again and applies it (or refuses it, changing nothing). */
  reload(): Promise<ReloadOutcome>
}
