import { normaliseHost } from '../util/authority.js'
import type { RouteConfig } from '../config/types.js'

/** A compiled route: where it sends matching requests (T is the target, e.g. a Cluster). */
interface CompiledRoute<T> {
  /** null matches any host. */
  readonly exactHost: string | null
  /** ".example.com" for "*.example.com"; null when not a wildcard. */
  readonly hostSuffix: string | null
  readonly pathPrefix: string
  readonly target: T
}

/**
 * Routes requests by Host and path prefix, first match in config order (as Envoy and nginx `location`
 * lists are read). Pure: no I/O. Host comparison is case-insensitive and ignores the port.
 */
export class Router<T> {
  private readonly routes: readonly CompiledRoute<T>[]

  constructor(routes: readonly RouteConfig[], resolve: (route: RouteConfig) => T) {
    this.routes = routes.map((r) => compile(r, resolve(r)))
  }

  /** The target for this Host header value and path, or null when no route matches. */
  match(hostHeader: string | undefined, path: string): T | null {
    const host = normaliseHost(hostHeader)
    for (let i = 0; i < this.routes.length; i++) {
      const route = this.routes[i]
      if (!hostMatches(route, host)) continue
      if (path.startsWith(route.pathPrefix)) return route.target
    }
    return null
  }
}

function compile<T>(route: RouteConfig, target: T): CompiledRoute<T> {
  const wildcard = route.host !== null && route.host.startsWith('*.')
  return {
    exactHost: wildcard ? null : route.host,
    hostSuffix: wildcard ? route.host!.slice(1) : null,
    pathPrefix: route.pathPrefix,
    target,
  }
}

function hostMatches<T>(route: CompiledRoute<T>, host: string): boolean {
  if (route.hostSuffix !== null) return host.length > route.hostSuffix.length && host.endsWith(route.hostSuffix)
  return route.exactHost === null || route.exactHost === host
}
