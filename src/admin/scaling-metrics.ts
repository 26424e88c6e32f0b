import type { Registry } from 'prom-client'
import type { ScalingSnapshot } from '../scaling/upstream-scaling.js'
import type { UpstreamView } from './types.js'
import { upstreamGauge } from './upstream-series.js'

/** Gauges read from each upstream's scaling snapshot at scrape time; an upstream without a value has no series. */
const SERIES: readonly (readonly [name: string, help: string, read: (s: ScalingSnapshot) => number | null])[] = [
  ['baton_upstream_recommended_endpoints', 'Endpoints the upstream needs to hold its p99 target at the load forecast `horizon` ahead, with headroom (after hysteresis).', (s) => s.recommendedEndpoints],
  ['baton_upstream_forecast_requests_per_second', "Holt's linear-trend forecast of the upstream's request rate `horizon` ahead.", (s) => s.forecastRps],
  ['baton_upstream_endpoint_capacity_requests_per_second', "The median endpoint's request rate at the p99 target, from its latency-versus-in-flight curve.", (s) => s.capacityRpsPerEndpoint],
]

/** The scaling signal as Prometheus gauges (README "Scaling signals": the HPA reads the first as an external metric). */
export function registerScalingMetrics(registry: Registry, upstreams: () => readonly UpstreamView[]): void {
  for (const [name, help, read] of SERIES) {
    upstreamGauge(registry, upstreams, name, help, (u) => {
      const snapshot = u.scaling?.describe() ?? null
      return snapshot === null ? null : read(snapshot)
    })
  }
}
