import type { IncomingMessage, ServerResponse } from 'node:http'
import { sendError } from '../util/error-response.js'

export type RouteHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>

/**
 * Who may call a route: anyone (`public`, e.g. /healthz for load balancers), any token (`read`), or an admin
 * token after the anti-CSRF checks (`write`: anything that changes state: rollback, and later eject, drain,
 * reload). admin-auth.ts decides what each means.
 */
export type RouteAccess = 'public' | 'read' | 'write'

/** Admits a request to a route of `access`; otherwise answers the refusal itself and returns false. */
export type RouteGuard = (req: IncomingMessage, res: ServerResponse, access: RouteAccess) => boolean

interface Route {
  readonly access: RouteAccess
  readonly handler: RouteHandler
}

/** RFC 9110 §9.2.1: the methods that are safe. A route of any other method changes state, so it is a write. */
const SAFE_METHODS = new Set(['GET', 'HEAD'])

/**
 * Exact-path routing for the admin server: path → method → access and handler. Every request passes the
 * guard with the route's access before its handler runs, so a route added later gets the same checks.
 * GET routes also answer HEAD (Node's ServerResponse drops the body of a HEAD response). An unknown path is
 * 404; a known path with another method is 405 with an Allow header, as RFC 9110 §15.5.6 requires; both only
 * after the guard admitted the request as a read (as public when the path has a public route), so neither
 * tells an unauthenticated caller which paths exist.
 */
export class RouteTable {
  private readonly routes = new Map<string, Map<string, Route>>()

  constructor(private readonly guard: RouteGuard) {}

  /** Adds a route; throws when `access` contradicts the method (a write on GET, a POST that is not a write). */
  add(method: string, path: string, access: RouteAccess, handler: RouteHandler): this {
    if (SAFE_METHODS.has(method) === (access === 'write')) {
      throw new Error(
        access === 'write'
          ? `${method} ${path}: a write must not use a safe method (a link or an image could trigger it)`
          : `${method} ${path}: ${method} changes state, so the route must be declared a write`,
      )
    }
    let byMethod = this.routes.get(path)
    if (byMethod === undefined) {
      byMethod = new Map()
      this.routes.set(path, byMethod)
    }
    byMethod.set(method, { access, handler })
    return this
  }

  /** Runs the route matching the request's path (query ignored) and method, if the guard admits it. */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const byMethod = this.routes.get(pathOf(req.url ?? '/'))
    if (byMethod === undefined) {
      if (this.guard(req, res, 'read')) sendError(res, 404, 'not_found', 'no such admin resource')
      return
    }
    const method = req.method ?? 'GET'
    const route = byMethod.get(method) ?? (method === 'HEAD' ? byMethod.get('GET') : undefined)
    if (route === undefined) {
      if (!this.guard(req, res, leastAccess(byMethod))) return
      const allow = allowed(byMethod).join(', ')
      res.setHeader('allow', allow)
      sendError(res, 405, 'method_not_allowed', `allowed: ${allow}`)
      return
    }
    if (this.guard(req, res, route.access)) await route.handler(req, res)
  }
}

/** The path of a request target, without its query. */
export function pathOf(url: string): string {
  const query = url.indexOf('?')
  return query === -1 ? url : url.slice(0, query)
}

function allowed(byMethod: Map<string, Route>): string[] {
  const methods = [...byMethod.keys()]
  if (byMethod.has('GET') && !byMethod.has('HEAD')) methods.push('HEAD')
  return methods
}

/** The access a wrong-method request to this path is checked at: public when one of its routes is. */
function leastAccess(byMethod: Map<string, Route>): RouteAccess {
  return [...byMethod.values()].some((r) => r.access === 'public') ? 'public' : 'read'
}
