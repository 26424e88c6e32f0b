import type { IncomingMessage, ServerResponse } from 'node:http'
import { sendError } from '../server/error-response.js'

export type RouteHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>

/**
 * Exact-path routing for the admin server: path → method → handler. GET routes also answer HEAD (Node's
 * ServerResponse drops the body of a HEAD response). An unknown path is 404; a known path with another
 * method is 405 with an Allow header, as RFC 9110 §15.5.6 requires.
 */
export class RouteTable {
  private readonly routes = new Map<string, Map<string, RouteHandler>>()

  add(method: string, path: string, handler: RouteHandler): this {
    let byMethod = this.routes.get(path)
    if (byMethod === undefined) {
      byMethod = new Map()
      this.routes.set(path, byMethod)
    }
    byMethod.set(method, handler)
    return this
  }

  /** Runs the route matching the request's path (query ignored) and method. */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const byMethod = this.routes.get(pathOf(req.url ?? '/'))
    if (byMethod === undefined) {
      sendError(res, 404, 'not_found', 'no such admin resource')
      return
    }
    const method = req.method ?? 'GET'
    const handler = byMethod.get(method) ?? (method === 'HEAD' ? byMethod.get('GET') : undefined)
    if (handler === undefined) {
      const allow = allowed(byMethod).join(', ')
      res.setHeader('allow', allow)
      sendError(res, 405, 'method_not_allowed', `allowed: ${allow}`)
      return
    }
    await handler(req, res)
  }
}

function pathOf(url: string): string {
  const query = url.indexOf('?')
  return query === -1 ? url : url.slice(0, query)
}

function allowed(byMethod: Map<string, RouteHandler>): string[] {
  const methods = [...byMethod.keys()]
  if (byMethod.has('GET') && !byMethod.has('HEAD')) methods.push('HEAD')
  return methods
}
