import type { EndpointStatsSnapshot } from '../metrics/endpoint-stats.js'
import type { UpstreamView } from './types.js'

export interface EndpointJson extends EndpointStatsSnapshot {
  id: string
  url: string
  weight: number
  inflight: number
}

export interface UpstreamJson {
  name: string
  policy: string
  endpoints: EndpointJson[]
}

/** The body of GET /api/upstreams: every upstream with its endpoints' live state and statistics at `nowMs`. */
export function describeUpstreams(upstreams: readonly UpstreamView[], nowMs: number): UpstreamJson[] {
  return upstreams.map((u) => ({
    name: u.name,
    policy: u.policy,
    endpoints: u.endpoints.map((e) => ({
      id: e.id,
      url: e.url,
      weight: e.weight,
      inflight: e.inflight,
      ...e.stats.snapshot(nowMs),
    })),
  }))
}
