import { Counter, Gauge, type Registry } from 'prom-client'
import type { AnomalyMonitor, AnomalyScope } from '../anomaly/anomaly-monitor.js'
import { ANOMALY_SIGNALS } from '../anomaly/signals.js'
import type { TrafficRecorder } from '../anomaly/traffic-recorder.js'
import { STATUS_CLASSES, type TrafficSeries } from '../anomaly/traffic-series.js'
import type { EventLog } from '../health/event-log.js'
import type { UpstreamView } from './types.js'
import { endpointGauge, upstreamCounter, upstreamGauge } from './upstream-series.js'

/** What the anomaly and per-route series read. */
export interface AnomalySource {
  readonly traffic: TrafficRecorder
  /** null when anomaly detection is off (the per-route counters run either way). */
  readonly monitor: AnomalyMonitor | null
}

/**
 * Per-route counters, anomalies and the learned model's series, filled at scrape time (prometheus.ts says why
 * counters are reset and re-incremented). Predicted and observed latency are two metrics, not one with a
 * `source` label: summing or averaging across such a label means nothing, which is Prometheus's rule for
 * splitting a metric. The exploration share is exported beside the other policy series (prometheus.ts).
 */
export function registerAnomalyMetrics(registry: Registry, upstreams: () => readonly UpstreamView[], events: EventLog, source: AnomalySource): void {
  const { traffic, monitor } = source
  new Counter({
    name: 'baton_route_requests_total',
    help: 'Requests answered on the route, by status class of the answer the client got (retries and hedges inside one request).',
    labelNames: ['route', 'class'],
    registers: [registry],
    collect() {
      this.reset()
      const names = traffic.routes.names()
      for (let slot = 0; slot < names.length; slot++) {
        for (let c = 0; c < STATUS_CLASSES.length; c++) this.inc({ route: names[slot], class: STATUS_CLASSES[c] }, traffic.routes.classCount(slot, c))
      }
    },
  })
  if (monitor !== null) registerAnomalySeries(registry, traffic, monitor)
  registerModelSeries(registry, upstreams, events)
}

function registerAnomalySeries(registry: Registry, traffic: TrafficRecorder, monitor: AnomalyMonitor): void {
  const scopes: readonly [AnomalyScope, TrafficSeries][] = [
    ['upstream', traffic.upstreams],
    ['route', traffic.routes],
  ]
  new Gauge({
    name: 'baton_anomaly_active',
    help: 'Whether an anomaly of the signal (surge, drop, latency, error) is active for the upstream or route, 0 or 1.',
    labelNames: ['scope', 'name', 'signal'],
    registers: [registry],
    collect() {
      this.reset()
      for (const [scope, series] of scopes) {
        for (const name of series.names()) for (const signal of ANOMALY_SIGNALS) this.set({ scope, name, signal }, monitor.isActive(scope, name, signal) ? 1 : 0)
      }
    },
  })
  new Counter({
    name: 'baton_anomalies_total',
    help: 'Anomalies started, by scope, name and signal.',
    labelNames: ['scope', 'name', 'signal'],
    registers: [registry],
    collect() {
      this.reset()
      for (const [scope, series] of scopes) for (const name of series.names()) for (const signal of ANOMALY_SIGNALS) this.inc({ scope, name, signal }, 0)
      for (const c of monitor.counts()) this.inc({ scope: c.scope, name: c.name, signal: c.signal }, c.count)
    },
  })
}

function registerModelSeries(registry: Registry, upstreams: () => readonly UpstreamView[], events: EventLog): void {
  upstreamCounter(registry, upstreams, 'baton_model_drift_total', 'Drifts the learned model detected (Page-Hinkley on its residuals), one per endpoint affected.', (u) =>
    u.model === null ? null : events.counts(u.name).drift,
  )
  upstreamGauge(registry, upstreams, 'baton_model_version', "Id of the learned model's current version (GET /api/model lists them).", (u) =>
    u.model === null ? null : u.model.currentVersion(),
  )
  endpointGauge(
    registry,
    upstreams,
    'baton_model_predicted_latency_seconds',
    'Latency to response headers the learned model expects of the endpoint at its current in-flight count.',
    (e, u) => {
      const predicted = u.model === null ? undefined : u.balancer.policy.explain?.(e).predictedLatencyMs
      return predicted === undefined ? null : predicted / 1000
    },
  )
  endpointGauge(
    registry,
    upstreams,
    'baton_model_observed_latency_seconds',
    'Mean latency to response headers the endpoint actually had over the recent statistics interval, beside the prediction.',
    (e, u) => {
      if (u.model === null) return null
      const latency = e.stats.latency()
      return latency.count > 0 ? latency.mean / 1000 : null
    },
  )
}
