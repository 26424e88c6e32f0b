import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client'
import { registerAdmissionMetrics } from './admission-metrics.js'
import type { EndpointView, RateLimitView, UpstreamView } from './types.js'
import type { EventLog } from '../health/event-log.js'
import type { LatencySummary, StatusClassCounts } from '../metrics/endpoint-stats.js'
import { registerAnomalyMetrics, type AnomalySource } from './anomaly-metrics.js'
import { registerHealthMetrics } from './health-metrics.js'
import { registerOverloadMetrics } from './overload-metrics.js'
import { registerScalingMetrics } from './scaling-metrics.js'
import { ScrapeHistogram, type HistogramSeries } from './scrape-histogram.js'
import { endpointGauge, upstreamGauge } from './upstream-series.js'

type EndpointLabels = 'upstream' | 'endpoint'

/** The quantiles exported from each endpoint's HDR histogram, as Prometheus summaries label them. */
const QUANTILES: readonly (readonly [label: string, key: keyof LatencySummary])[] = [
  ['0.5', 'p50'],
  ['0.9', 'p90'],
  ['0.99', 'p99'],
  ['0.999', 'p999'],
]

const STATUS_CLASSES: readonly (keyof StatusClassCounts)[] = ['1xx', '2xx', '3xx', '4xx', '5xx']

/**
 * A registry of its own (not prom-client's global one, so several Batons and tests can coexist) holding
 * Node's process metrics (prefix baton_) and the per-endpoint series. The proxy never calls prom-client:
 * every series is filled by a collect() callback at scrape time from the EndpointStats objects.
 *
 * Names: units in the name (`_seconds`, `_bytes`), `_total` on counters only; see README "Metrics".
 *
 * Counters: prom-client's Counter has no set(), so collect() calls reset() then inc(total). This keeps
 * `# TYPE counter` (a Gauge named _total would mislead rate() and linters), and reset() also drops the
 * series of endpoints removed by a config reload. A reload restarts the counts at 0, which rate() reads as
 * a counter reset, as it should.
 */
export function buildRegistry(
  upstreams: () => readonly UpstreamView[],
  events: EventLog,
  anomalies: AnomalySource | null = null,
  rateLimits: () => readonly RateLimitView[] = () => [],
): Registry {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry, prefix: 'baton_' })
  dropTotalGauges(registry)
  const forEach = endpointIterator(upstreams)

  new Counter({
    name: 'baton_upstream_requests_total',
    help: 'Attempts sent to the endpoint that finished: responses, backend failures and client aborts.',
    labelNames: ['upstream', 'endpoint'],
    registers: [registry],
    collect() {
      this.reset()
      forEach((labels, e) => this.inc(labels, e.stats.counts().requests))
    },
  })

  new Counter({
    name: 'baton_upstream_responses_total',
    help: 'Responses received from the endpoint, by status class.',
    labelNames: ['upstream', 'endpoint', 'class'],
    registers: [registry],
    collect() {
      this.reset()
      forEach((labels, e) => {
        const byClass = e.stats.counts().byClass
        for (const c of STATUS_CLASSES) this.inc({ ...labels, class: c }, byClass[c])
      })
    },
  })

  new Counter({
    name: 'baton_upstream_errors_total',
    help: 'Attempts to the endpoint that failed without a response, by Baton error code (client aborts excluded).',
    labelNames: ['upstream', 'endpoint', 'code'],
    registers: [registry],
    collect() {
      this.reset()
      forEach((labels, e) => {
        for (const [code, n] of Object.entries(e.stats.counts().errorsByCode)) this.inc({ ...labels, code }, n)
      })
    },
  })

  new Counter({
    name: 'baton_upstream_client_aborts_total',
    help: 'Attempts to the endpoint abandoned because the client went away; not the backend\'s fault.',
    labelNames: ['upstream', 'endpoint'],
    registers: [registry],
    collect() {
      this.reset()
      forEach((labels, e) => this.inc(labels, e.stats.counts().clientAborts))
    },
  })

  endpointGauge(registry, upstreams, 'baton_upstream_inflight', 'Requests sent to the endpoint and not yet finished.', (e) => e.inflight)
  endpointGauge(registry, upstreams, 'baton_upstream_endpoint_weight', 'Configured weight of the endpoint.', (e) => e.weight)

  new ScrapeHistogram(
    'baton_upstream_response_seconds',
    'Time to response headers of every response from the endpoint since it was created (failures without a response excluded).',
    () => {
      const series: HistogramSeries[] = []
      forEach((labels, e) => series.push({ labels, latency: e.stats.cumulativeLatency() }))
      return series
    },
    registry,
  )

  // Kept beside the histogram: exact (±0.1 %) recent quantiles, where histogram_quantile over 14 buckets
  // interpolates within a bucket up to 2.5× wide and averages over the whole rate() range.
  // A gauge with a quantile label rather than a Summary: prom-client's Summary computes its own quantiles from
  // observe() calls on the hot path; these come from the HDR histograms of the previous and current interval.
  new Gauge({
    name: 'baton_upstream_latency_seconds',
    help: 'Time to response headers over the previous and current statistics interval, by quantile (HDR histogram, 3 significant digits).',
    labelNames: ['upstream', 'endpoint', 'quantile'],
    registers: [registry],
    collect() {
      this.reset()
      forEach((labels, e) => {
        const latency = e.stats.latency()
        for (const [quantile, key] of QUANTILES) this.set({ ...labels, quantile }, msToSeconds(latency[key]))
      })
    },
  })

  upstreamGauge(
    registry,
    upstreams,
    'baton_model_exploration_ratio',
    'Share of picks that went to a candidate the learned model believed slower than the best, over the last 10 s (adaptive policy only).',
    (u) => (u.model === null ? null : u.model.explorationShare()),
  )

  registerHealthMetrics(registry, upstreams, events)
  if (anomalies !== null) registerAnomalyMetrics(registry, upstreams, events, anomalies)
  registerOverloadMetrics(registry, upstreams, rateLimits)
  registerScalingMetrics(registry, upstreams)
  registerAdmissionMetrics(registry, upstreams)
  return registry
}

/**
 * prom-client's default metrics include three gauges named `*_total` (nodejs_active_handles_total,
 * nodejs_active_requests_total, nodejs_active_resources_total: the sums of the same gauges by `type`).
 * `_total` is for counters only (rate() of a gauge is meaningless, and linters flag it), and no prefix
 * option renames them, so they are removed: `sum without (type) (baton_nodejs_active_handles)` is the same
 * number. Any other gauge of theirs ending in `_total` is removed likewise.
 */
function dropTotalGauges(registry: Registry): void {
  for (const metric of registry.getMetricsAsArray()) {
    if (metric.name.endsWith('_total') && metric instanceof Gauge) registry.removeSingleMetric(metric.name)
  }
}

type EndpointVisitor = (labels: Record<EndpointLabels, string>, endpoint: EndpointView) => void

/** Calls `visit` for every endpoint of every upstream, with its upstream/endpoint labels. */
function endpointIterator(upstreams: () => readonly UpstreamView[]): (visit: EndpointVisitor) => void {
  return (visit) => {
    for (const u of upstreams()) {
      for (const e of u.endpoints) visit({ upstream: u.name, endpoint: e.id }, e)
    }
  }
}

/** Latencies are ms with µs resolution; going through whole µs keeps the exposition short (0.005001, not 0.0050010000000000004). */
function msToSeconds(ms: number): number {
  return Math.round(ms * 1000) / 1_000_000
}
