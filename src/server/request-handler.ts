import type { IncomingMessage } from 'node:http'
import type { PickContext } from '../balancer/types.js'
import type { Cluster } from '../cluster/cluster.js'
import type { ClusterEndpoint } from '../cluster/cluster-endpoint.js'
import type { ListenerConfig, ViaConfig } from '../config/types.js'
import type { RouteTarget } from '../forward/route-target.js'
import type { Router } from '../router/router.js'
import type { Clock } from '../util/clock.js'
import type { ProxyError } from '../util/errors.js'
import { ProxyExchange, type ExchangeEnv, type ExchangeListener } from '../forward/proxy-exchange.js'
import { RequestHead, UpstreamHeaderBuilder } from '../forward/request-headers.js'
import { REJECTIONS } from '../forward/request-rejections.js'
import { closeAfterAnswer, type BatonResponse } from '../forward/baton-response.js'
import { sendError } from '../util/error-response.js'
import { readReplayableBody, StreamedBody } from './request-body.js'
import { isValidHost, readTarget, RequestTarget } from './request-target.js'

/**
 * Where the balancer's decision for a request goes when someone wants it explained (debug/decision-recorder.ts):
 * right after the first pick, before any other pick on this thread.
 */
export interface DecisionCapture {
  capture(debugHeader: string | null, res: BatonResponse, cluster: Cluster, chosen: ClusterEndpoint): void
}

/** RFC 9110 §9.3.7: OPTIONS * asks about the server itself; Baton answers it without bothering a backend. */
const ALLOW = 'GET, HEAD, POST, PUT, DELETE, OPTIONS, PATCH'

/**
 * The proxy's request entry for one listener: screen, route, pick, forward. Everything per request is
 * synchronous up to the dispatch; the pick context, the head and the target are reused objects since
 * requests never overlap on this thread while they are screened.
 *
 * Screening refuses, before any backend is chosen, what a backend could read otherwise than Baton did
 * (header rules in upstream/request-headers.ts; Transfer-Encoding other than chunked, or on HTTP/1.0; an
 * invalid Host; a path that normalises above the root) and what the listener's limits forbid (body size).
 */
export class RequestHandler {
  private readonly pickContext: PickContext = { hashKey: 0, attempt: 0, exclude: -1 }
  private readonly head = new RequestHead()
  private readonly target = new RequestTarget()
  private readonly headers: UpstreamHeaderBuilder
  private readonly env: ExchangeEnv
  /** The request being handled asked for 100-continue: it is sent only once the request may go on. */
  private continueWanted = false

  constructor(
    private readonly listener: ListenerConfig,
    via: ViaConfig,
    private readonly router: Router<RouteTarget>,
    clock: Clock,
    exchangeListener: ExchangeListener | null,
    /** null unless decision headers or the decision log are configured. */
    private readonly decisions: DecisionCapture | null = null,
  ) {
    this.headers = new UpstreamHeaderBuilder(listener, via, 'http')
    this.env = { clock, listener: exchangeListener, viaEntry: this.headers.viaEntry }
  }

  /**
   * The 'checkContinue' listener (Expect: 100-continue): the same handling, but the interim 100 goes out only
   * when the request is accepted, so a refused upload (413, say) is refused before the client sends its body.
   */
  readonly handleContinue = (req: IncomingMessage, res: BatonResponse): void => {
    this.continueWanted = true
    this.handle(req, res)
    this.continueWanted = false
  }

  /** The 'request' listener; an arrow property so it is bound once, not per request. */
  readonly handle = (req: IncomingMessage, res: BatonResponse): void => {
    const head = this.head
    const headers = this.headers.build(req.rawHeaders, req.socket.remoteAddress ?? '', head)
    if (!Array.isArray(headers)) return refuse(head, res, headers)
    const refusal = this.screen(req)
    if (refusal !== null) return refuse(head, res, refusal)
    const target = this.target
    if (target.path === '*') return answerOptions(res)
    const routeHost = target.authority ?? head.host ?? ''
    const route = this.router.match(routeHost, target.path)
    if (route === null) return refuse(head, res, REJECTIONS.noRoute)
    if (req.method === 'TRACE' && !route.allowTrace) return refuse(head, res, REJECTIONS.traceNotAllowed)
    const maxBody = route.maxBodyBytes ?? this.listener.maxBodyBytes
    const length = head.contentLength === null ? -1 : Number(head.contentLength)
    if (maxBody > 0 && length > maxBody) return refuse(head, res, REJECTIONS.bodyTooLarge)
    const cluster = route.cluster
    const endpoint = cluster.balancer.pick(this.pickContext)
    if (endpoint === null) {
      sendError(res, 503, 'BATON_NO_ENDPOINT', `no endpoint of upstream "${cluster.name}" is available`)
      return
    }
    // The host a backend sees: an absolute-form target's authority over Host (RFC 9112 §3.2.2), else Host, else
    // (HTTP/1.0 without one) the endpoint's. It is the header list's last slot (request-headers.ts).
    if (head.host === null) headers.push('host', target.authority ?? endpoint.authority)
    else if (target.authority !== null) this.headers.replaceHost(headers, target.authority)
    if (this.decisions !== null) this.decisions.capture(head.debug, res, cluster, endpoint)
    if (this.continueWanted) res.writeContinue()
    const path = target.path
    if (head.transferEncoding === null && length <= 0) {
      this.forward(req, res, route, endpoint, path, headers, null)
    } else if (length > 0 && length <= cluster.retry.replayBufferBytes && cluster.retry.maxRetries > 0) {
      void this.forwardReplayable(req, res, route, endpoint, path, headers)
    } else {
      this.forward(req, res, route, endpoint, path, headers, new StreamedBody(req, maxBody)) // never retried
    }
  }

  /** Version, framing, Host and target rules; null when the request may go on (`target` is then filled). */
  private screen(req: IncomingMessage): ProxyError | null {
    if (req.httpVersionMajor !== 1) return req.httpVersionMajor === 0 ? REJECTIONS.http09 : REJECTIONS.versionNotSupported
    const head = this.head
    if (head.transferEncoding !== null) {
      if (req.httpVersionMinor === 0) return REJECTIONS.transferEncodingHttp10
      const refusal = transferEncodingRefusal(head.transferEncoding)
      if (refusal !== null) return refusal
    }
    if (head.host !== null && !isValidHost(head.host)) return REJECTIONS.badHost
    if (head.host === null && req.httpVersionMinor === 1) return REJECTIONS.missingHost
    return readTarget(req.url, req.method, this.listener, this.target)
  }

  private forward(
    req: IncomingMessage,
    res: BatonResponse,
    route: RouteTarget,
    endpoint: ClusterEndpoint,
    path: string,
    headers: string[],
    body: Buffer | StreamedBody | null,
  ): void {
    new ProxyExchange(req, res, route, endpoint, this.env, path, headers, body).start()
  }

  /** A small body is read whole first (as nginx buffers bodies), so a retry can send it again. */
  private async forwardReplayable(
    req: IncomingMessage,
    res: BatonResponse,
    route: RouteTarget,
    endpoint: ClusterEndpoint,
    path: string,
    headers: string[],
  ): Promise<void> {
    const body = await readReplayableBody(req, route.cluster.retry.replayBufferBytes)
    if (body === null) return // the client left mid-body: its socket is gone
    this.forward(req, res, route, endpoint, path, headers, body)
  }
}

/**
 * Answers a refused request. When a body may follow (declared, chunked, or unknown because the header list
 * was cut) the connection closes after the answer, rather than Node reading and discarding a body that may be
 * gigabytes long.
 */
function refuse(head: RequestHead, res: BatonResponse, error: ProxyError): void {
  if (head.contentLength !== null || head.transferEncoding !== null || error === REJECTIONS.tooManyHeaders) closeAfterAnswer(res)
  sendError(res, error.status, error.code, error.message)
}

/**
 * Only `chunked` is implemented. RFC 9112 §6.3: when chunked is not the final coding the body length cannot be
 * determined (400, then close); §6.1: a coding before it that the server does not implement gets 501.
 */
function transferEncodingRefusal(value: string): ProxyError | null {
  const codings = value.toLowerCase().split(',')
  if (codings[codings.length - 1].trim() !== 'chunked') return REJECTIONS.transferEncodingNotChunked
  return codings.length === 1 ? null : REJECTIONS.unsupportedTransferEncoding
}

function answerOptions(res: BatonResponse): void {
  res.writeHead(200, { allow: ALLOW, 'content-length': 0 })
  res.end()
}
