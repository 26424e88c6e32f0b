import type { EndpointView, UpstreamView } from '../../../src/admin/types.js'
import { RoundRobinPolicy } from '../../../src/balancer/policies/round-robin.js'
import { DEFAULT_HEALTH } from '../../../src/config/build-health.js'
import { EventLog } from '../../../src/health/event-log.js'
import { ClusterHealth } from '../../../src/health/cluster-health.js'
import { EndpointStats } from '../../../src/metrics/endpoint-stats.js'
import { EndpointHolds } from '../../../src/overload/endpoint-holds.js'
import { RetryBudget } from '../../../src/overload/retry-budget.js'
import { AdmissionControl } from '../../../src/overload/admission-control.js'
import { DEFAULT_OVERLOAD } from '../../../src/config/build-admission.js'
import { ManualClock } from '../../../src/util/clock.js'

/** An endpoint as the admin server and the registry read it: plain data around a real EndpointStats. */
export interface FakeEndpoint extends EndpointView {
  inflight: number
  weight: number
}

export function fakeEndpoint(id: string, weight = 1, inflight = 0, index = 0): FakeEndpoint {
  return { id, index, url: `http://${id}`, weight, inflight, tunnels: 0, stats: new EndpointStats() }
}

/** An upstream view around real health state (default rules, manual clock), a real retry budget and admission, and no active checks. */
export function fakeUpstream(name: string, endpoints: FakeEndpoint[], policy = 'round_robin', events = new EventLog()): UpstreamView {
  const health = new ClusterHealth(
    name,
    endpoints.map((e) => e.id),
    DEFAULT_HEALTH,
    { clock: new ManualClock(), wallClock: () => 0, events, onAvailabilityChange: null },
  )
  const balancer = { policy: new RoundRobinPolicy() }
  const retryBudget = new RetryBudget(0.2, 3)
  const admission = new AdmissionControl(DEFAULT_OVERLOAD, { clock: new ManualClock(), retryBudget, poolConnections: 128, events: () => {} })
  const manual = new Map<number, number>()
  const setWeight = (i: number, weight: number): boolean => {
    manual.set(i, weight)
    const changed = endpoints[i].weight !== weight
    endpoints[i].weight = weight
    return changed
  }
  const manualWeight = (i: number): number | null => manual.get(i) ?? null
  return { name, policy, endpoints, health, checker: null, retryBudget, admission, balancer, model: null, storm: null, holds: new EndpointHolds(endpoints.length), manualWeight, setWeight }
}
