import type { IncomingMessage } from 'node:http'
import type { PickContext } from '../balancer/types.js'
import type { Cluster } from '../cluster/cluster.js'
import type { Router } from '../router/router.js'
import type { Clock } from '../util/clock.js'
import { ProxyExchange, type ExchangeListener } from '../upstream/proxy-exchange.js'
import { buildUpstreamHeaders } from '../upstream/request-headers.js'
import type { BatonResponse } from './baton-response.js'
import { sendError } from './error-response.js'
import { upstreamPath } from './request-target.js'

/**
 * The proxy's request entry: route, pick, forward. Everything per request is synchronous up to the
 * dispatch; the pick context is one reused object since picks never overlap on this thread.
 */
export class RequestHandler {
  private readonly pickContext: PickContext = { hashKey: 0, attempt: 0, exclude: -1 }

  constructor(
    private readonly router: Router<Cluster>,
    private readonly clock: Clock,
    private readonly listener: ExchangeListener | null,
  ) {}

  /** The 'request' listener; an arrow property so it is bound once, not per request. */
  readonly handle = (req: IncomingMessage, res: BatonResponse): void => {
    const path = upstreamPath(req.url, req.method)
    if (path === null) {
      sendError(res, 400, 'BATON_BAD_REQUEST_TARGET', 'the request target is not a valid path or URL')
      return
    }
    const cluster = this.router.match(req.headers.host, path)
    if (cluster === null) {
      sendError(res, 404, 'BATON_NO_ROUTE', 'no route matches this host and path')
      return
    }
    const endpoint = cluster.balancer.pick(this.pickContext)
    if (endpoint === null) {
      sendError(res, 503, 'BATON_NO_ENDPOINT', `no endpoint of upstream "${cluster.name}" is available`)
      return
    }
    const headers = buildUpstreamHeaders(
      req.rawHeaders,
      req.socket.remoteAddress ?? '',
      'http',
      cluster.rewriteHost ? endpoint.authority : null,
    )
    const exchange = new ProxyExchange(req, res, cluster, endpoint, this.clock, this.listener)
    exchange.start(path, headers, hasBody(req))
  }
}

/** RFC 9112 §6.3: a request has a body when it says Transfer-Encoding, or a non-zero Content-Length. */
function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length']
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0')
}
