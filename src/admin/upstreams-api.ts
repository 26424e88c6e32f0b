import type { CheckResult } from '../health/active-checker.js'
import type { EndpointHealth, ClusterHealthStats } from '../health/health-view.js'
import type { EndpointStatsSnapshot } from '../metrics/endpoint-stats.js'
import type { AdmissionSnapshot } from '../overload/admission-control.js'
import type { ScalingSnapshot } from '../scaling/upstream-scaling.js'
import type { EndpointView, RetryBudgetView, UpstreamView } from './types.js'

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
  /** Time left of a backend's Retry-After hold (no picks, no retries), ms; 0 when none. */
  retryAfterHoldMs: number
  /** What an operator set through the admin API (admin/endpoint-actions.ts). */
  manual: ManualStateJson
}

export interface ManualStateJson {
  /** Drained by an operator until undrained by one. */
  drained: boolean
  /** When an operator's ejection ends (ISO 8601); null when none holds. */
  ejectedUntil: string | null
  /** The weight an operator set; null when the config's weight applies. */
  weight: number | null
}

export interface UpstreamJson {
  name: string
  policy: string
  health: ClusterHealthStats
  retryBudget: RetryBudgetView
  /** Storm damping (overload/storm-damper.ts); null when off. */
  storm: { storming: boolean; level: number; starts: number } | null
  /** Retry-After holds begun since start. */
  retryAfterHolds: number
  /** The scaling signal (README "Scaling signals"); null without one. */
  scaling: ScalingSnapshot | null
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
    storm: u.storm === null ? null : { storming: u.storm.storming, level: u.storm.level, starts: u.storm.starts },
    retryAfterHolds: u.holds.total,
    scaling: u.scaling?.describe() ?? null,
    admission: u.admission.describe(),
    endpoints: u.endpoints.map((e, i) => describeEndpoint(u, e, i, nowMs)),
  }))
}

/** One endpoint of GET /api/upstreams, also the answer of every admin write to it. */
export function describeEndpoint(u: UpstreamView, e: EndpointView, i: number, nowMs: number): EndpointJson {
  const health = u.health.describe(i, nowMs)
  return {
    id: e.id,
    url: e.url,
    weight: e.weight,
    inflight: e.inflight,
    tunnels: e.tunnels,
    health,
    lastCheck: u.checker === null ? null : u.checker.lastCheck(i),
    retryAfterHoldMs: Math.round(u.holds.remainingMs(i, nowMs)),
    manual: {
      drained: health.manualDrain,
      ejectedUntil: health.manualEjectionUntilMs === null ? null : new Date(health.manualEjectionUntilMs).toISOString(),
      weight: u.manualWeight(i),
    },
    ...e.stats.snapshot(nowMs),
  }
}
