import type { Metric, Registry } from 'prom-client'
import { LATENCY_BUCKET_BOUNDS_US } from '../metrics/latency-buckets.js'
import type { CumulativeLatency } from '../metrics/endpoint-stats.js'

/** One histogram series: its labels and the latency it shows. */
export interface HistogramSeries {
  labels: Record<string, string>
  latency: CumulativeLatency
}

interface SampleValue {
  metricName: string
  labels: Record<string, string | number>
  value: number
}

/** The `le` label of each bound, in seconds, printed short (0.0025, not 0.0025000000000000005). */
const LE_LABELS: readonly string[] = [...LATENCY_BUCKET_BOUNDS_US.map((us) => String(us / 1_000_000)), '+Inf']

/**
 * A Prometheus histogram whose state is read at scrape time from cumulative bucket counts that Baton
 * already keeps (EndpointStats.cumulativeLatency), instead of prom-client's Histogram, which only counts
 * its own observe() calls (one per request on the hot path, and a second copy of every latency).
 *
 * prom-client's Registry reads a metric through `name`, `help`, `type`, `aggregator` and `get()` (and calls
 * `reset()` from resetMetrics()): lib/registry.js of prom-client 15; this object provides exactly those and
 * is registered with registerMetric. The exposition is tested with a strict parser
 * (test/helpers/prometheus-text.ts), so a prom-client upgrade that reads something else fails a test.
 */
export class ScrapeHistogram {
  readonly type = 'histogram'
  readonly aggregator = 'sum'

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly read: () => Iterable<HistogramSeries>,
    registry: Registry,
  ) {
    registry.registerMetric(this as unknown as Metric)
  }

  async get(): Promise<{ name: string; help: string; type: 'histogram'; aggregator: 'sum'; values: SampleValue[] }> {
    const values: SampleValue[] = []
    for (const { labels, latency } of this.read()) {
      let cumulative = 0
      for (let k = 0; k < LE_LABELS.length; k++) {
        cumulative += latency.buckets[k]
        values.push({ metricName: `${this.name}_bucket`, labels: { ...labels, le: LE_LABELS[k] }, value: cumulative })
      }
      values.push({ metricName: `${this.name}_sum`, labels, value: latency.sumUs / 1_000_000 })
      values.push({ metricName: `${this.name}_count`, labels, value: latency.count })
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values }
  }

  /** Nothing to reset: the state lives in the endpoints' statistics. */
  reset(): void {}
}
