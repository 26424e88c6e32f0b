import type { IncomingMessage } from 'node:http'
import type { ClusterEndpoint } from '../cluster/cluster-endpoint.js'
import { closeAfterAnswer, type BatonResponse, type ResponseFeeder } from '../forward/baton-response.js'
import type { UpstreamHeaderBuilder } from '../forward/request-headers.js'
import type { RouteTarget } from '../forward/route-target.js'
import { AdmissionWaiter } from '../overload/wait-queue.js'
import type { ShedAnswers } from '../overload/shed-answers.js'
import type { RequestScreen } from './request-screen.js'

/** Until filled. */
const NO_HEADERS: string[] = []

/** Who carries a request on once it holds a permit (server/request-handler.ts). */
export interface PendingOwner {
  proceed(request: PendingRequest): void
  recycle(request: PendingRequest): void
}

/**
 * What a screened and routed request needs to go on after admission: the screen's reused fields copied out, so
 * the request can wait for a permit while the next one is screened. The handler fills one reused instance for
 * requests admitted at once and takes pooled instances for those that wait (no allocation per request either
 * way). While it waits it is its response's feeder, so a client that leaves is withdrawn from the queue.
 */
export class PendingRequest extends AdmissionWaiter implements ResponseFeeder {
  req: IncomingMessage | null = null
  res: BatonResponse | null = null
  route: RouteTarget | null = null
  /** The normalised path sent upstream. */
  path = ''
  headers: string[] = NO_HEADERS
  /** The Host header, and an absolute-form target's authority (which stands for it), or null. */
  host: string | null = null
  authority: string | null = null
  debug: string | null = null
  continueWanted = false
  /** Declared Content-Length, -1 when none. */
  length = -1
  chunked = false
  maxBody = 0
  /** A body may follow the head (declared, chunked): a refusal closes the connection after its answer. */
  bodyMayFollow = false

  constructor(private readonly owner: PendingOwner) {
    super()
  }

  fill(req: IncomingMessage, res: BatonResponse, route: RouteTarget, screen: RequestScreen, continueWanted: boolean, maxBody: number, length: number): void {
    const head = screen.head
    this.req = req
    this.res = res
    this.route = route
    this.path = screen.target.path
    this.headers = screen.headers
    this.host = head.host
    this.authority = screen.target.authority
    this.debug = head.debug
    this.continueWanted = continueWanted
    this.length = length
    this.chunked = head.transferEncoding !== null
    this.maxBody = maxBody
    this.bodyMayFollow = head.contentLength !== null || head.transferEncoding !== null
  }

  copyFrom(other: PendingRequest): void {
    this.req = other.req
    this.res = other.res
    this.route = other.route
    this.path = other.path
    this.headers = other.headers
    this.host = other.host
    this.authority = other.authority
    this.debug = other.debug
    this.continueWanted = other.continueWanted
    this.length = other.length
    this.chunked = other.chunked
    this.maxBody = other.maxBody
    this.bodyMayFollow = other.bodyMayFollow
  }

  /** Drops the references (a pooled instance must not keep a finished request alive). */
  clear(): void {
    this.req = this.res = null
    this.route = null
    this.headers = NO_HEADERS
  }

  /**
   * The host a backend sees, in the header list's last slot (as RequestScreen.placeHost): an absolute-form
   * target's authority over Host, else Host, else (HTTP/1.0 without one) the endpoint's.
   */
  placeHost(builder: UpstreamHeaderBuilder, endpoint: ClusterEndpoint): void {
    if (this.host === null) this.headers.push('host', this.authority ?? endpoint.authority)
    else if (this.authority !== null) builder.replaceHost(this.headers, this.authority)
  }

  admitted(): void {
    this.res!.feeder = null
    this.owner.proceed(this)
    this.owner.recycle(this)
  }

  shed(reason: number): void {
    this.res!.feeder = null
    sendShed(this.res!, this.route!.cluster.shedAnswers, reason, this.bodyMayFollow)
    this.owner.recycle(this)
  }

  /** The client left while waiting: out of the queue, nobody to answer. */
  onClientClose(): void {
    this.route!.cluster.admission.withdraw(this)
    this.res!.feeder = null
    this.owner.recycle(this)
  }

  onClientDrain(): void {}

  onClientBodyBroken(): void {}
}

/** The prebuilt 503 of a shed reason (overload/shed-answers.ts); a body that may follow is not read: the connection closes. */
export function sendShed(res: BatonResponse, answers: ShedAnswers, reason: number, bodyMayFollow: boolean): void {
  if (res.headersSent || res.destroyed) return
  if (bodyMayFollow) closeAfterAnswer(res)
  res.writeHead(503, answers.headers[reason] as string[])
  res.end(answers.bodies[reason])
}
