import { Counter, Gauge, type Registry } from 'prom-client'
import type { RateLimitView, UpstreamView } from './types.js'
import { upstreamCounter, upstreamGauge } from './upstream-series.js'

/**
 * Rate-limit, Retry-After and storm series, filled at scrape time (prometheus.ts says why counters are reset
 * and re-incremented): requests refused per route, holds begun per upstream, and each upstream's storm state
 * and damping level.
 */
export function registerOverloadMetrics(registry: Registry, upstreams: () => readonly UpstreamView[], rateLimits: () => readonly RateLimitView[]): void {
  new Counter({
    name: 'baton_rate_limited_total',
    help: 'Requests refused with 429 BATON_RATE_LIMITED by the route\'s rate limit.',
    labelNames: ['route'],
    registers: [registry],
    collect() {
      this.reset()
      for (const l of rateLimits()) this.inc({ route: l.route }, l.limited)
    },
  })
  new Gauge({
    name: 'baton_rate_limit_keys',
    help: 'Client keys whose bucket the route\'s rate limit holds (at most its maxKeys).',
    labelNames: ['route'],
    registers: [registry],
    collect() {
      this.reset()
      for (const l of rateLimits()) this.set({ route: l.route }, l.buckets.size)
    },
  })
  upstreamCounter(registry, upstreams, 'baton_retry_after_holds_total', 'Endpoints held out of picks and retries by a backend\'s Retry-After (429 or 503), begun or extended.', (u) => u.holds.total)
  upstreamGauge(registry, upstreams, 'baton_storm_active', 'Whether the upstream is in a storm (traffic surge or error burst), 0 or 1.', (u) => (u.storm === null ? null : u.storm.storming ? 1 : 0))
  upstreamGauge(registry, upstreams, 'baton_storm_damping_level', 'Storm damping of retries and hedges: 1 as configured, 0 none.', (u) => (u.storm === null ? null : u.storm.level))
}
