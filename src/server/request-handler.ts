import type { IncomingMessage } from 'node:http'
import type { PickContext } from '../balancer/types.js'
import type { Cluster } from '../cluster/cluster.js'
import type { ClusterEndpoint } from '../cluster/cluster-endpoint.js'
import type { ListenerConfig, ViaConfig } from '../config/types.js'
import type { RouteTarget } from '../forward/route-target.js'
import type { Router } from '../router/router.js'
import type { RateLimiter } from '../overload/rate-limiter.js'
import type { Clock } from '../util/clock.js'
import { ProxyError } from '../util/errors.js'
import { ProxyExchange, type ExchangeEnv, type ExchangeListener } from '../forward/proxy-exchange.js'
import type { RequestHead } from '../forward/request-headers.js'
import { REJECTIONS } from '../forward/request-rejections.js'
import { closeAfterAnswer, type BatonResponse } from '../forward/baton-response.js'
import type { DrainState } from './drain-state.js'
import { sendError } from '../util/error-response.js'
import { readReplayableBody, StreamedBody } from './request-body.js'
import { requestHashKey } from './hash-key.js'
import { RequestScreen } from './request-screen.js'
import { rateLimitKey } from './rate-limit-key.js'
import { answerRateLimited } from './rate-limited.js'
import { PendingRequest, sendShed, type PendingOwner } from './pending-request.js'
import { ADMITTED, MUST_WAIT } from '../overload/admission-control.js'
import { parsePriority } from '../overload/priority.js'
import { SHED_ENDPOINT_MAX_REQUESTS } from '../overload/wait-queue.js'

/**
 * Where the balancer's decision for a request goes when someone wants it explained (debug/decision-recorder.ts):
 * right after the first pick, before any other pick on this thread.
 */
export interface DecisionCapture {
  capture(debugHeader: string | null, res: BatonResponse, cluster: Cluster, chosen: ClusterEndpoint): void
}

/** What a handler works with besides its listener's rules; one set per config snapshot. */
export interface RequestHandlerDeps {
  readonly via: ViaConfig
  readonly router: Router<RouteTarget>
  readonly clock: Clock
  readonly exchangeListener: ExchangeListener | null
  /** null unless decision headers or the decision log are configured. */
  readonly decisions: DecisionCapture | null
  readonly drain: DrainState
}

/** RFC 9110 §9.3.7: OPTIONS * asks about the server itself; Baton answers it without bothering a backend. */
const ALLOW = 'GET, HEAD, POST, PUT, DELETE, OPTIONS, PATCH'

/**
 * The proxy's request entry for one listener: screen, route, admit (the upstream's AdmissionControl: a permit,
 * a wait in its priority queue, or a prebuilt 503), pick, forward. Everything per request is
 * synchronous up to the dispatch; the pick context, the head and the target are reused objects since
 * requests never overlap on this thread while they are screened.
 *
 * Screening (server/request-screen.ts, shared with WebSocket upgrades) refuses, before any backend is chosen,
 * what a backend could read otherwise than Baton did (header rules in forward/request-headers.ts;
 * Transfer-Encoding other than chunked, or on HTTP/1.0; an invalid Host; a path that normalises above the
 * root); this handler adds what the listener's limits forbid (body size) and the route's rate limit (a token
 * taken after routing, before any pick: a refused request costs no backend anything).
 */
export class RequestHandler implements PendingOwner {
  private readonly pickContext: PickContext = { hashKey: 0, attempt: 0, exclude: -1 }
  /** The request being handled, when admitted at once: filled and used synchronously, never queued. */
  private readonly current: PendingRequest = new PendingRequest(this)
  /** Waiters returned after use, reused by the next requests that must wait (grows to the most ever waiting at once). */
  private readonly spare: PendingRequest[] = []
  /** Header rules, version, framing, Host, target and routing: shared with upgrades (upgrade-handler.ts). */
  readonly screen: RequestScreen
  readonly env: ExchangeEnv
  /** The request being handled asked for 100-continue: it is sent only once the request may go on. */
  private continueWanted = false

  private readonly decisions: DecisionCapture | null
  private readonly drain: DrainState

  constructor(
    readonly listener: ListenerConfig,
    deps: RequestHandlerDeps,
  ) {
    this.decisions = deps.decisions
    this.drain = deps.drain
    this.screen = new RequestScreen(listener, deps.via, deps.router)
    this.env = { clock: deps.clock, listener: deps.exchangeListener, viaEntry: this.screen.builder.viaEntry }
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
    if (this.drain.draining) res.shouldKeepAlive = false // shutting down: this connection's last response
    const screen = this.screen
    const head = screen.head
    const route = screen.admit(req)
    if (route === null) return answerOptions(res)
    if (route instanceof ProxyError) return refuse(head, res, route)
    const maxBody = route.maxBodyBytes ?? this.listener.maxBodyBytes
    const length = head.contentLength === null ? -1 : Number(head.contentLength)
    if (maxBody > 0 && length > maxBody) return refuse(head, res, REJECTIONS.bodyTooLarge)
    const limiter = route.rateLimiter
    if (limiter !== null) {
      const waitSeconds = limiter.take(rateLimitKey(limiter, req, screen.builder), this.env.clock.now())
      if (waitSeconds > 0) return refuseRateLimited(head, res, limiter, waitSeconds)
    }
    const request = this.current
    request.fill(req, res, route, screen, this.continueWanted, maxBody, length)
    const admission = route.cluster.admission
    const priority = this.priorityOf(route, req)
    request.priority = priority
    const verdict = admission.acquire(priority)
    if (verdict === ADMITTED) this.proceed(request)
    else if (verdict === MUST_WAIT) this.wait(request, priority)
    else sendShed(res, route.cluster.shedAnswers, verdict, request.bodyMayFollow)
    request.clear()
  }

  /**
   * A request holding an admission permit: pick, then forward. Every way out that starts no exchange gives the
   * permit back here; an exchange gives it back when it ends (ProxyExchange.holdsPermit).
   */
  proceed(request: PendingRequest): void {
    const req = request.req!
    const res = request.res!
    const route = request.route!
    const cluster = route.cluster
    // Only a hash-policy upstream pays for a key; the context is reused, so others get 0.
    this.pickContext.hashKey = cluster.hashKeySpec === null ? 0 : requestHashKey(cluster.hashKeySpec, req, request.path)
    const endpoint = cluster.balancer.pick(this.pickContext)
    if (endpoint === null) {
      cluster.admission.release()
      sendError(res, 503, 'BATON_NO_ENDPOINT', `no endpoint of upstream "${cluster.name}" is available`)
      return
    }
    if (cluster.admission.endpointFull(endpoint.inflight, request.priority)) {
      cluster.admission.release()
      sendShed(res, cluster.shedAnswers, SHED_ENDPOINT_MAX_REQUESTS, request.bodyMayFollow)
      return
    }
    request.placeHost(this.screen.builder, endpoint)
    const headers = request.headers
    if (this.decisions !== null) this.decisions.capture(request.debug, res, cluster, endpoint)
    if (request.continueWanted) res.writeContinue()
    const path = request.path
    const length = request.length
    if (!request.chunked && length <= 0) {
      this.forward(req, res, route, endpoint, path, headers, null)
    } else if (length > 0 && length <= cluster.retry.replayBufferBytes && cluster.retry.maxRetries > 0) {
      void this.forwardReplayable(req, res, route, endpoint, path, headers)
    } else {
      this.forward(req, res, route, endpoint, path, headers, new StreamedBody(req, request.maxBody)) // never retried
    }
  }

  recycle(request: PendingRequest): void {
    request.clear()
    this.spare.push(request)
  }

  /** Over the limit: a pooled copy of the request waits in the upstream's queue, the response's feeder meanwhile. */
  private wait(request: PendingRequest, priority: number): void {
    const waiter = this.spare.pop() ?? new PendingRequest(this)
    waiter.copyFrom(request)
    waiter.res!.feeder = waiter
    request.route!.cluster.admission.enqueue(waiter, priority)
  }

  /** The route's class, unless a trusted proxy names another in x-baton-priority (a client's own claim is ignored). */
  private priorityOf(route: RouteTarget, req: IncomingMessage): number {
    const claimed = this.screen.head.priority
    if (claimed === null || !this.screen.builder.trusts(req.socket.remoteAddress ?? '')) return route.priority
    const priority = parsePriority(claimed)
    return priority < 0 ? route.priority : priority
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
    const exchange = new ProxyExchange(req, res, route, endpoint, this.env, path, headers, body)
    exchange.holdsPermit = true
    exchange.start()
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
    if (body === null) return route.cluster.admission.release() // the client left mid-body: its socket is gone
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

/** Over the route's rate limit: nothing was picked, nothing reaches a backend (a body that may follow closes the connection). */
function refuseRateLimited(head: RequestHead, res: BatonResponse, limiter: RateLimiter, seconds: number): void {
  if (head.contentLength !== null || head.transferEncoding !== null) closeAfterAnswer(res)
  answerRateLimited(res, limiter, seconds)
}

function answerOptions(res: BatonResponse): void {
  res.writeHead(200, { allow: ALLOW, 'content-length': 0 })
  res.end()
}
