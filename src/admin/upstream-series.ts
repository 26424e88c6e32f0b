import { Counter, Gauge, type Registry } from 'prom-client'
import type { EndpointView, UpstreamView } from './types.js'

/** Reads one upstream's value at scrape time; null (or a non-finite number) leaves that upstream without a series. */
export type UpstreamReading = (u: UpstreamView) => number | null

/** Reads endpoint `e` (index i of upstream u) at scrape time; null (or a non-finite number): no series for it. */
export type EndpointReading = (e: EndpointView, u: UpstreamView, i: number) => number | null

/**
 * A gauge with one series per upstream (label `upstream`), filled at scrape time: nothing is recorded per request,
 * and an upstream removed by a reload simply stops appearing.
 */
export function upstreamGauge(registry: Registry, upstreams: () => readonly UpstreamView[], name: string, help: string, read: UpstreamReading): void {
  new Gauge({ name, help, labelNames: ['upstream'], registers: [registry], collect: collector(upstreams, read, (g, labels, v) => g.set(labels, v)) })
}

/**
 * A counter with one series per upstream, filled at scrape time from the upstream's own running total (reset,
 * then inc by the total: prom-client counters cannot be set, and the totals live in the clusters).
 */
export function upstreamCounter(registry: Registry, upstreams: () => readonly UpstreamView[], name: string, help: string, read: UpstreamReading): void {
  new Counter({ name, help, labelNames: ['upstream'], registers: [registry], collect: collector(upstreams, read, (c, labels, v) => c.inc(labels, v)) })
}

/** A gauge with one series per endpoint (labels `upstream`, `endpoint`), filled at scrape time like the above. */
export function endpointGauge(registry: Registry, upstreams: () => readonly UpstreamView[], name: string, help: string, read: EndpointReading): void {
  new Gauge({
    name,
    help,
    labelNames: ['upstream', 'endpoint'],
    registers: [registry],
    collect() {
      this.reset()
      for (const u of upstreams()) {
        for (let i = 0; i < u.endpoints.length; i++) {
          const e = u.endpoints[i]
          const value = read(e, u, i)
          if (value !== null && Number.isFinite(value)) this.set({ upstream: u.name, endpoint: e.id }, value)
        }
      }
    },
  })
}

type Labels = { upstream: string }

/** The collect() of either kind: reset, then one value per upstream that has one. */
function collector<M extends { reset(): void }>(upstreams: () => readonly UpstreamView[], read: UpstreamReading, put: (metric: M, labels: Labels, value: number) => void) {
  return function (this: M): void {
    this.reset()
    for (const u of upstreams()) {
      const value = read(u)
      if (value !== null && Number.isFinite(value)) put(this, { upstream: u.name }, value)
    }
  }
}
