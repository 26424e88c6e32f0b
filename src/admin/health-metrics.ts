import { Counter, type Registry } from 'prom-client'
import type { UpstreamView } from './types.js'
import { endpointGauge, upstreamCounter, upstreamGauge } from './upstream-series.js'
import { HEALTH_EVENT_KINDS, type EventLog } from '../health/event-log.js'
import type { ClusterHealthStats } from '../health/health-view.js'
import { OUTLIER_REASONS } from '../health/outlier-detector.js'

/**
 * Health and retry series, filled at scrape time like the endpoint series (see prometheus.ts for why the
 * counters are reset and re-incremented): events by kind, panic, availability, outlier detections against
 * enforced ejections, ejection overflows, per-endpoint routability and slow-start factor, retry budget.
 */
export function registerHealthMetrics(registry: Registry, upstreams: () => readonly UpstreamView[], events: EventLog): void {
  new Counter({
    name: 'baton_health_events_total',
    help: 'Health transitions by kind (healthy, unhealthy, ejected, returned, panic-on/off, predicted-failure, drain, undrain).',
    labelNames: ['upstream', 'kind'],
    registers: [registry],
    collect() {
      this.reset()
      for (const upstream of events.upstreams()) {
        const counts = events.counts(upstream)
        for (const kind of HEALTH_EVENT_KINDS) this.inc({ upstream, kind }, counts[kind])
      }
    },
  })
  upstreamGauge(registry, upstreams, 'baton_upstream_panic', 'Whether the upstream is in panic mode (balancing across all endpoints), 0 or 1.', (u) => (u.health.stats().panic ? 1 : 0))
  upstreamGauge(registry, upstreams, 'baton_upstream_endpoints_available', 'Endpoints healthy, not ejected and not drained.', (u) => u.health.stats().available)
  upstreamGauge(registry, upstreams, 'baton_upstream_endpoints_ejected', 'Endpoints ejected by outlier detection right now.', (u) => u.health.stats().ejected)
  outlierCounter(registry, upstreams, 'baton_outlier_detections_total', 'Outlier detections by reason, whether or not enforced.', (s) => s.detected)
  outlierCounter(registry, upstreams, 'baton_outlier_ejections_enforced_total', 'Outlier detections that became ejections, by reason.', (s) => s.enforced)
  upstreamCounter(registry, upstreams, 'baton_outlier_ejection_overflow_total', 'Ejections refused because maxEjectionPercent was reached.', (u) => u.health.stats().ejectionOverflow)
  upstreamCounter(registry, upstreams, 'baton_predicted_drains_refused_total', 'Predicted failures not drained because draining would have caused panic.', (u) => u.health.stats().drainsRefused)
  upstreamCounter(registry, upstreams, 'baton_retries_total', 'Retries and hedged copies sent (retry budget tokens granted).', (u) => u.retryBudget.granted)
  upstreamCounter(registry, upstreams, 'baton_retries_refused_total', 'Retries refused by the retry budget.', (u) => u.retryBudget.refused)
  upstreamGauge(registry, upstreams, 'baton_retries_inflight', 'Retries in flight (bounded by the retry budget).', (u) => u.retryBudget.retrying)
  endpointGauge(registry, upstreams, 'baton_endpoint_routed', 'Whether the balancer may send requests to the endpoint (0 or 1).', (_e, u, i) => (u.health.isRouted(i) ? 1 : 0))
}

/** A counter with one series per upstream and outlier reason. */
function outlierCounter(
  registry: Registry,
  upstreams: () => readonly UpstreamView[],
  name: string,
  help: string,
  read: (stats: ClusterHealthStats) => Record<string, number>,
): void {
  new Counter({
    name,
    help,
    labelNames: ['upstream', 'reason'],
    registers: [registry],
    collect() {
      this.reset()
      for (const u of upstreams()) {
        const byReason = read(u.health.stats())
        for (const reason of OUTLIER_REASONS) this.inc({ upstream: u.name, reason }, byReason[reason])
      }
    },
  })
}
