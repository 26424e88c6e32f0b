import type { EndpointView, UpstreamView } from '../../../src/admin/types.js'
import { EndpointStats } from '../../../src/metrics/endpoint-stats.js'

/** An endpoint as the admin server and the registry read it: plain data around a real EndpointStats. */
export interface FakeEndpoint extends EndpointView {
  inflight: number
}

export function fakeEndpoint(id: string, weight = 1, inflight = 0): FakeEndpoint {
  return { id, url: `http://${id}`, weight, inflight, stats: new EndpointStats() }
}

export function fakeUpstream(name: string, endpoints: FakeEndpoint[], policy = 'round_robin'): UpstreamView {
  return { name, policy, endpoints }
}
