import type { IncomingMessage, ServerResponse } from 'node:http'
import { sendError } from '../util/error-response.js'

/** What a handler learns besides the request: who called, and the path's `:name` segments, URL-decoded. */
export interface RouteCall {
  /** For the audit trail: the token's name, or `anonymous@<peer address>` when the API has no tokens. */
  readonly actor: string
  readonly params: Readonly<Record<string, string>>
}

export type RouteHandler = (req: IncomingMessage, res: ServerResponse, call: RouteCall) => void | Promise<void>

/**
 * Who may call a route: anyone (`public`, e.g. /healthz for load balancers), any token (`read`), or an admin
 * token after the anti-CSRF checks (`write`: anything that changes state: rollback, and later eject, drain,
 * reload). admin-auth.ts decides what each means.
 */
export type RouteAccess = 'public' | 'read' | 'write'

/** Admits a request to a route of `access`, naming its caller (RouteCall.actor); otherwise answers the refusal itself and returns null. */
export type RouteGuard = (req: IncomingMessage, res: ServerResponse, access: RouteAccess) => { readonly actor: string } | null

interface Route {
  readonly access: RouteAccess
  readonly handler: RouteHandler
}

/** RFC 9110 §9.2.1: the methods that are safe. A route of any other method changes state, so it is a write. */
const SAFE_METHODS = new Set(['GET', 'HEAD'])

/** A path of literal segments and `:name` parameters, e.g. /api/upstreams/:upstream/endpoints/:endpoint/drain. */
class PathPattern {
  private readonly segments: readonly string[]

  constructor(readonly path: string) {
    this.segments = path.split('/')
  }

  get hasParams(): boolean {
    return this.segments.some(isParam)
  }

  /**
   * The parameters when `path` matches, else null. A parameter is one whole non-empty segment, decoded
   * (decodeURIComponent: endpoint ids like 127.0.0.1:8080 arrive as 127.0.0.1%3A8080); a segment that does
   * not decode does not match.
   */
  match(path: string): Record<string, string> | null {
    const parts = path.split('/')
    if (parts.length !== this.segments.length) return null
    const params: Record<string, string> = {}
    for (let k = 0; k < parts.length; k++) {
      const want = this.segments[k]
      if (!isParam(want)) {
        if (parts[k] !== want) return null
        continue
      }
      const value = decodeSegment(parts[k])
      if (value === null || value === '') return null
      params[want.slice(1)] = value
    }
    return params
  }
}

function isParam(segment: string): boolean {
  return segment.startsWith(':')
}

function decodeSegment(segment: string): string | null {
  try {
    return decodeURIComponent(segment)
  } catch {
    return null
  }
}

/**
 * Routing for the admin server: path → method → access and handler; a path may hold `:name` parameters,
 * tried in the order added after the exact paths. Every request passes the
 * guard with the route's access before its handler runs, so a route added later gets the same checks.
 * GET routes also answer HEAD (Node's ServerResponse drops the body of a HEAD response). An unknown path is
 * 404; a known path with another method is 405 with an Allow header, as RFC 9110 §15.5.6 requires; both only
 * after the guard admitted the request as a read (as public when the path has a public route), so neither
 * tells an unauthenticated caller which paths exist.
 */
export class RouteTable {
  private readonly routes = new Map<string, Map<string, Route>>()
  private readonly patterns: { readonly pattern: PathPattern; readonly byMethod: Map<string, Route> }[] = []

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
    this.methodsOf(path).set(method, { access, handler })
    return this
  }

  private methodsOf(path: string): Map<string, Route> {
    const pattern = new PathPattern(path)
    const existing = pattern.hasParams ? this.patterns.find((p) => p.pattern.path === path)?.byMethod : this.routes.get(path)
    if (existing !== undefined) return existing
    const byMethod = new Map<string, Route>()
    if (pattern.hasParams) this.patterns.push({ pattern, byMethod })
    else this.routes.set(path, byMethod)
    return byMethod
  }

  /** The methods of the route matching `path` and its parameters; exact paths first. */
  private lookup(path: string): { byMethod: Map<string, Route>; params: Record<string, string> } | null {
    const exact = this.routes.get(path)
    if (exact !== undefined) return { byMethod: exact, params: NO_PARAMS }
    for (const { pattern, byMethod } of this.patterns) {
      const params = pattern.match(path)
      if (params !== null) return { byMethod, params }
    }
    return null
  }

  /** Runs the route matching the request's path (query ignored) and method, if the guard admits it. */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const found = this.lookup(pathOf(req.url ?? '/'))
    if (found === null) {
      if (this.guard(req, res, 'read') !== null) sendError(res, 404, 'not_found', 'no such admin resource')
      return
    }
    const { byMethod, params } = found
    const method = req.method ?? 'GET'
    const route = byMethod.get(method) ?? (method === 'HEAD' ? byMethod.get('GET') : undefined)
    if (route === undefined) {
      if (this.guard(req, res, leastAccess(byMethod)) === null) return
      const allow = allowed(byMethod).join(', ')
      res.setHeader('allow', allow)
      sendError(res, 405, 'method_not_allowed', `allowed: ${allow}`)
      return
    }
    const admitted = this.guard(req, res, route.access)
    if (admitted !== null) await route.handler(req, res, { actor: admitted.actor, params })
  }
}

const NO_PARAMS: Readonly<Record<string, string>> = Object.freeze({})

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
