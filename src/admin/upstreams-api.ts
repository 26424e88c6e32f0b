import type { CheckResult } from '../health/active-checker.js'
import type { EndpointHealth, ClusterHealthStats } from '../health/health-view.js'
import type { EndpointStatsSnapshot } from '../metrics/endpoint-stats.js'
import type { AdmissionSnapshot } from '../overload/admission-control.js'
import type { RetryBudgetView, UpstreamView } from './types.js'

export interface EndpointJson extends EndpointStatsSnapshot {
  id: string
  url: string
  weight: number
  inflight: number
  /** Open WebSocket tunnels (also counted in inflight). */
  tunnels: number
  health: EndpointHealth
  /** The last active check; null before the first or with active checks off. */
  lastCheck: CheckResult | null
}

export interface UpstreamJson {
  name: string
  policy: string
  health: ClusterHealthStats
  retryBudget: RetryBudgetView
  /** Limit, queue, shed counts by class and reason, breaker states (overload/admission-control.ts). */
  admission: AdmissionSnapshot
  endpoints: EndpointJson[]
}

/** The body of GET /api/upstreams: every upstream with its endpoints' live state, health and statistics at `nowMs`. */
export function describeUpstreams(upstreams: readonly UpstreamView[], nowMs: number): UpstreamJson[] {
  return upstreams.map((u) => ({
    name: u.name,
    policy: u.policy,
    health: u.health.stats(),
    retryBudget: { active: u.retryBudget.active, retrying: u.retryBudget.retrying, refused: u.retryBudget.refused, granted: u.retryBudget.granted },
    admission: u.admission.describe(),
    endpoints: u.endpoints.map((e, i) => ({
      id: e.id,
      url: e.url,
      weight: e.weight,
      inflight: e.inflight,
      tunnels: e.tunnels,
      health: u.health.describe(i, nowMs),
      lastCheck: u.checker === null ? null : u.checker.lastCheck(i),
      ...e.stats.snapshot(nowMs),
    })),
  }))
}
