import type { Cluster } from '../cluster/cluster.js'
import type { RouteConfig } from '../config/types.js'
import type { RateLimiter } from '../overload/rate-limiter.js'
import { LoadReportReader } from './load-report.js'
import { PRIORITY_NORMAL } from '../overload/priority.js'

/** Where a matched route sends a request, and the route's own rules for it. Built once per route. */
export interface RouteTarget {
  readonly route: string
  /** The route's slot in the per-route counters (anomaly/traffic-recorder.ts); −1 when nobody counts. */
  readonly slot: number
  readonly cluster: Cluster
  /** Retry POST and PATCH after bytes reached a backend: the route's opt-in, else its upstream's setting. */
  readonly retryNonIdempotent: boolean
  /** The route's body size limit, bytes (0 unlimited), or null for the listener's. */
  readonly maxBodyBytes: number | null
  /** TRACE is forwarded only where a route allows it. */
  readonly allowTrace: boolean
  /** The route's token buckets, checked after routing and before any upstream work; null: no limit. */
  readonly rateLimiter: RateLimiter | null
  /** Where the upstream's backends report their load (a response header, stripped); null when not configured. */
  readonly loadReport: LoadReportReader | null
  /** Priority class of its requests (overload/priority.ts), unless a trusted proxy's x-baton-priority names another. */
  readonly priority: number
}

export function routeTarget(route: RouteConfig, cluster: Cluster, slot = -1, rateLimiter: RateLimiter | null = null): RouteTarget {
  return {
    route: route.name,
    slot,
    cluster,
    retryNonIdempotent: route.retryNonIdempotent ?? cluster.retry.retryNonIdempotent,
    maxBodyBytes: route.maxBodyBytes,
    allowTrace: route.allowTrace,
    rateLimiter,
    loadReport: cluster.config.loadReport == null ? null : new LoadReportReader(cluster.config.loadReport),
    priority: route.priority ?? PRIORITY_NORMAL,
  }
}
