import type { Cluster } from '../cluster/cluster.js'
import type { RouteConfig } from '../config/types.js'
import { PRIORITY_NORMAL } from '../overload/priority.js'

/** Where a matched route sends a request, and the route's own rules for it. Built once per route. */
export interface RouteTarget {
  readonly route: string
  readonly cluster: Cluster
  /** Retry POST and PATCH after bytes reached a backend: the route's opt-in, else its upstream's setting. */
  readonly retryNonIdempotent: boolean
  /** The route's body size limit, bytes (0 unlimited), or null for the listener's. */
  readonly maxBodyBytes: number | null
  /** TRACE is forwarded only where a route allows it. */
  readonly allowTrace: boolean
  /** Priority class of its requests (overload/priority.ts), unless a trusted proxy's x-baton-priority names another. */
  readonly priority: number
}

export function routeTarget(route: RouteConfig, cluster: Cluster): RouteTarget {
  return {
    route: route.name,
    cluster,
    retryNonIdempotent: route.retryNonIdempotent ?? cluster.retry.retryNonIdempotent,
    maxBodyBytes: route.maxBodyBytes,
    allowTrace: route.allowTrace,
    priority: route.priority ?? PRIORITY_NORMAL,
  }
}
