import type { IncomingMessage } from 'node:http'
import type { PickContext } from '../balancer/types.js'
import type { DecisionRecorder } from '../debug/decision-recorder.js'
import type { RouteTarget } from '../router/route-target.js'
import type { Router } from '../router/router.js'
import type { Clock } from '../util/clock.js'
import { ProxyExchange, type ExchangeListener } from '../upstream/proxy-exchange.js'
import { buildUpstreamHeaders } from '../upstream/request-headers.js'
import type { BatonResponse } from './baton-response.js'
import { sendError } from './error-response.js'
import { upstreamPath } from './request-target.js'
import { declaredLength, readReplayableBody } from './request-body.js'
import type { UpstreamEndpoint } from '../cluster/upstream-endpoint.js'

/**
 * The proxy's request entry: route, pick, forward. Everything per request is synchronous up to the
 * dispatch; the pick context is one reused object since picks never overlap on this thread.
 */
export class RequestHandler {
  private readonly pickContext: PickContext = { hashKey: 0, attempt: 0, exclude: -1 }

  constructor(
    private readonly router: Router<RouteTarget>,
    private readonly clock: Clock,
    private readonly listener: ExchangeListener | null,
    /** null unless decision headers or the decision log are configured. */
    private readonly decisions: DecisionRecorder | null = null,
  ) {}

  /** The 'request' listener; an arrow property so it is bound once, not per request. */
  readonly handle = (req: IncomingMessage, res: BatonResponse): void => {
    const path = upstreamPath(req.url, req.method)
    if (path === null) {
      sendError(res, 400, 'BATON_BAD_REQUEST_TARGET', 'the request target is not a valid path or URL')
      return
    }
    const route = this.router.match(req.headers.host, path)
    if (route === null) {
      sendError(res, 404, 'BATON_NO_ROUTE', 'no route matches this host and path')
      return
    }
    const cluster = route.cluster
    const endpoint = cluster.balancer.pick(this.pickContext)
    if (endpoint === null) {
      sendError(res, 503, 'BATON_NO_ENDPOINT', `no endpoint of upstream "${cluster.name}" is available`)
      return
    }
    if (this.decisions !== null) this.decisions.capture(req, res, cluster, endpoint)
    const headers = buildUpstreamHeaders(
      req.rawHeaders,
      req.socket.remoteAddress ?? '',
      'http',
      cluster.rewriteHost ? endpoint.authority : null,
    )
    const length = declaredLength(req)
    if (length <= 0 && req.headers['transfer-encoding'] === undefined) {
      this.forward(req, res, route, endpoint, path, headers, null)
    } else if (length > 0 && length <= cluster.retry.replayBufferBytes && cluster.retry.maxRetries > 0) {
      void this.forwardReplayable(req, res, route, endpoint, path, headers)
    } else {
      this.forward(req, res, route, endpoint, path, headers, req) // streamed: never retried
    }
  }

  private forward(
    req: IncomingMessage,
    res: BatonResponse,
    route: RouteTarget,
    endpoint: UpstreamEndpoint,
    path: string,
    headers: string[],
    body: Buffer | IncomingMessage | null,
  ): void {
    new ProxyExchange(req, res, route, endpoint, this.clock, this.listener, path, headers, body).start()
  }

  /** A small body is read whole first (as nginx buffers bodies), so a retry can send it again. */
  private async forwardReplayable(
    req: IncomingMessage,
    res: BatonResponse,
    route: RouteTarget,
    endpoint: UpstreamEndpoint,
    path: string,
    headers: string[],
  ): Promise<void> {
    const body = await readReplayableBody(req, route.cluster.retry.replayBufferBytes)
    if (body === null) return // the client left or broke its own framing: its socket is gone
    this.forward(req, res, route, endpoint, path, headers, body)
  }
}
