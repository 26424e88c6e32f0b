import type { RouteConfig } from '../config/types.js'
import type { ExchangeListener, ProxyExchange } from '../forward/proxy-exchange.js'
import { bucketOf } from '../health/log-histogram.js'
import { NO_LATENCY, TrafficSeries } from './traffic-series.js'

/**
 * Counts every answered request by route and by upstream where its exchange ends (an ExchangeListener, so
 * forward/ calls it through the seam it already has): the per-route counters Prometheus shows and the
 * windows the anomaly detector samples. A route's slot is found by name once per config snapshot and
 * carried by its RouteTarget; its upstream's slot is looked up by index. Per request: two record() calls,
 * indexed increments, no allocation.
 *
 * The upstream series count what clients got from the upstream (one per request, retries and hedges inside
 * it), not attempts: per-endpoint attempts by class are baton_upstream_responses_total already.
 */
export class TrafficRecorder implements ExchangeListener {
  readonly routes: TrafficSeries
  readonly upstreams: TrafficSeries
  /** Upstream slot by route slot; −1 before the route was assigned. */
  private upstreamOf: number[] = []
  /** Upstream name by route slot (the route's upstream in the latest snapshot). */
  private upstreamNames: string[] = []

  constructor(windowSamples: number) {
    this.routes = new TrafficSeries(windowSamples)
    this.upstreams = new TrafficSeries(windowSamples)
  }

  /**
   * A config snapshot's routes: they (and their upstreams) are the series sampled from now on; the slots
   * by route, in order, for their RouteTargets.
   */
  useRoutes(routes: readonly RouteConfig[]): number[] {
    const slots = routes.map((r) => this.assign(r))
    this.routes.setLive(routes.map((r) => r.name))
    this.upstreams.setLive(routes.map((r) => r.upstream))
    return slots
  }

  /** The slot of `route` (by name), pointing at its upstream's. */
  private assign(route: RouteConfig): number {
    const slot = this.routes.slotOf(route.name)
    while (this.upstreamOf.length <= slot) {
      this.upstreamOf.push(-1)
      this.upstreamNames.push('')
    }
    this.upstreamOf[slot] = this.upstreams.slotOf(route.upstream)
    this.upstreamNames[slot] = route.upstream
    return slot
  }

  /** The upstream a route slot sends to (in the latest snapshot). */
  upstreamOfRoute(slot: number): string {
    return this.upstreamNames[slot]
  }

  onExchangeEnd(exchange: ProxyExchange): void {
    const slot = exchange.route.slot
    if (slot < 0) return
    const status = exchange.status
    const bucket = exchange.latencyMs >= 0 ? bucketOf(exchange.latencyMs) : NO_LATENCY
    this.routes.record(slot, status, bucket)
    this.upstreams.record(this.upstreamOf[slot], status, bucket)
  }

  /** End of a sampling interval (the detector's timer). */
  rotate(): void {
    this.routes.rotate()
    this.upstreams.rotate()
  }
}
