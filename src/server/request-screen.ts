import type { IncomingMessage } from 'node:http'
import type { ClusterEndpoint } from '../cluster/cluster-endpoint.js'
import type { ListenerConfig, ViaConfig } from '../config/types.js'
import type { RouteTarget } from '../forward/route-target.js'
import type { Router } from '../router/router.js'
import type { ProxyError } from '../util/errors.js'
import { RequestHead, UpstreamHeaderBuilder } from '../forward/request-headers.js'
import { REJECTIONS } from '../forward/request-rejections.js'
import { isValidHost, readTarget, RequestTarget } from './request-target.js'

/** Until the first request is screened. */
const NO_HEADERS: string[] = []

/**
 * The screening every request of one listener goes through before any backend is chosen, plain requests
 * (request-handler.ts) and upgrades (upgrade-handler.ts) alike, so a WebSocket handshake is held to exactly the
 * rules a GET is: the header pass (forward/request-headers.ts: field count, a second Host, Via loops,
 * underscores, X-Forwarded-*), HTTP version, Transfer-Encoding, Host syntax, the target normalised
 * (request-target.ts), routing, and TRACE. What the caller needs next is left in reused fields (`head`,
 * `target`, `headers`), valid until the next request is screened: requests never overlap on this thread while
 * they are screened, and each caller reads them synchronously.
 */
export class RequestScreen {
  /** What the header pass learned of the request screened last. */
  readonly head = new RequestHead()
  /** Its target: the normalised path sent upstream, and an absolute-form authority. */
  readonly target = new RequestTarget()
  /** Its upstream header list, Host last (request-headers.ts). */
  headers: string[] = NO_HEADERS
  readonly builder: UpstreamHeaderBuilder

  constructor(
    private readonly listener: ListenerConfig,
    via: ViaConfig,
    private readonly router: Router<RouteTarget>,
  ) {
    // X-Forwarded-Proto is the scheme the client spoke to this listener.
    this.builder = new UpstreamHeaderBuilder(listener, via, listener.tls === null ? 'http' : 'https')
  }

  /**
   * The route `req` goes to, or why it is refused; null for `OPTIONS *`, which Baton answers itself.
   * The header list, head and target are filled on the way.
   */
  admit(req: IncomingMessage): RouteTarget | ProxyError | null {
    const head = this.head
    const headers = this.builder.build(req.rawHeaders, req.socket.remoteAddress ?? '', head)
    if (!Array.isArray(headers)) return headers
    this.headers = headers
    const refusal = this.check(req)
    if (refusal !== null) return refusal
    const target = this.target
    if (target.path === '*') return null
    const route = this.router.match(target.authority ?? head.host ?? '', target.path)
    if (route === null) return REJECTIONS.noRoute
    if (req.method === 'TRACE' && !route.allowTrace) return REJECTIONS.traceNotAllowed
    return route
  }

  /**
   * The host a backend sees, put in the header list's last slot (request-headers.ts): an absolute-form target's
   * authority over Host (RFC 9112 §3.2.2), else Host, else (HTTP/1.0 without one) the endpoint's.
   */
  placeHost(endpoint: ClusterEndpoint): void {
    const authority = this.target.authority
    if (this.head.host === null) this.headers.push('host', authority ?? endpoint.authority)
    else if (authority !== null) this.builder.replaceHost(this.headers, authority)
  }

  /** Version, framing, Host and target rules; null when the request may go on (`target` is then filled). */
  private check(req: IncomingMessage): ProxyError | null {
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
