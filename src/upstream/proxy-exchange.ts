import type { IncomingMessage } from 'node:http'
import type { Dispatcher } from 'undici'
import { Outcome } from '../balancer/types.js'
import type { Cluster } from '../cluster/cluster.js'
import type { UpstreamEndpoint } from '../cluster/upstream-endpoint.js'
import type { BatonResponse, ResponseFeeder } from '../server/baton-response.js'
import { sendError } from '../server/error-response.js'
import type { Clock } from '../util/clock.js'
import { classifyUpstreamError, FAILURES, type Failure } from './error-mapping.js'
import { buildClientHeaders } from './response-headers.js'

/** Reason handed to undici's abort when the client leaves; recognised in onError. */
const CLIENT_GONE = new Error('client closed the connection')

/** Told once when an exchange ends, for the access log. */
export interface ExchangeListener {
  onExchangeEnd(exchange: ProxyExchange): void
}

/**
 * One request forwarded to one endpoint. It is undici's dispatch handler (the raw onConnect/onHeaders/
 * onData/onComplete/onError interface, which undici calls without wrapping) and the response's feeder:
 * one object per request instead of a closure per event. Response bytes stream with backpressure:
 * onData returns false when the client socket is full, and the response's 'drain' resumes undici.
 */
export class ProxyExchange implements ResponseFeeder {
  /** Upstream latency to response headers or failure, ms; -1 until known. */
  latencyMs = -1
  /** Status sent to the client; 0 until sent. */
  status = 0
  /** The failure's code when the exchange failed, else null. */
  errorCode: string | null = null
  private readonly startMs: number
  private abortUpstream: ((reason: Error) => void) | null = null
  private resumeUpstream: (() => void) | null = null
  private clientGone = false
  private ended = false

  constructor(
    readonly req: IncomingMessage,
    readonly res: BatonResponse,
    readonly cluster: Cluster,
    readonly endpoint: UpstreamEndpoint,
    private readonly clock: Clock,
    private readonly listener: ExchangeListener | null,
  ) {
    this.startMs = clock.now()
  }

  /** Sends the request upstream; `hasBody` streams the client's body (undici reads it with backpressure). */
  start(path: string, headers: string[], hasBody: boolean): void {
    this.endpoint.inflight++
    this.res.feeder = this
    const options: Dispatcher.DispatchOptions = {
      path,
      method: this.req.method as Dispatcher.HttpMethod,
      headers,
      body: hasBody ? this.req : null,
    }
    this.endpoint.pool.dispatch(options, this)
  }

  onConnect(abort: (reason: Error) => void): void {
    this.abortUpstream = abort
    if (this.clientGone) abort(CLIENT_GONE)
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void, statusText: string): boolean {
    if (statusCode < 200) return true // 1xx interim responses are not forwarded
    this.resumeUpstream = resume
    this.latencyMs = this.clock.now() - this.startMs
    this.status = statusCode
    this.endpoint.stats.recordResponse(statusCode, this.latencyMs)
    const outcome = statusCode >= 500 ? Outcome.HttpError : Outcome.Success
    this.cluster.balancer.observe(this.endpoint, this.latencyMs, statusCode, outcome, this.clock.now())
    if (this.clientGone) return false
    this.res.writeHead(statusCode, statusText, buildClientHeaders(rawHeaders))
    return true
  }

  onData(chunk: Buffer): boolean {
    return this.res.write(chunk)
  }

  onComplete(): void {
    this.res.end()
    this.end()
  }

  onError(err: Error): void {
    const failure = this.clientGone ? FAILURES.clientAbort : classifyUpstreamError(err)
    const code = failure.error.code
    const byClient = failure.error.source === 'client'
    const nowMs = this.clock.now()
    this.errorCode = code
    if (this.latencyMs < 0) {
      this.latencyMs = nowMs - this.startMs
      this.endpoint.stats.recordFailure(code, byClient)
    } else if (!byClient) {
      this.endpoint.stats.recordBrokenResponse(code)
    }
    this.cluster.balancer.observe(this.endpoint, nowMs - this.startMs, 0, failure.outcome, nowMs)
    this.answerFailure(failure)
    this.end()
  }

  onClientDrain(): void {
    if (this.resumeUpstream !== null) this.resumeUpstream()
  }

  /** The response closed: either it finished (nothing to do) or the client left mid-way (cancel upstream). */
  onClientClose(): void {
    if (this.ended || this.res.writableFinished) return
    this.clientGone = true
    if (this.abortUpstream !== null) this.abortUpstream(CLIENT_GONE)
  }

  /** Before headers: a JSON error with the mapped status. After: cut the connection so the client sees truncation. */
  private answerFailure(failure: Failure): void {
    if (this.clientGone) return
    if (this.res.headersSent) {
      this.res.destroy()
      return
    }
    this.status = failure.error.status
    sendError(this.res, failure.error.status, failure.error.code, failure.error.message)
  }

  private end(): void {
    if (this.ended) return
    this.ended = true
    this.endpoint.inflight--
    this.res.feeder = null
    if (this.listener !== null) this.listener.onExchangeEnd(this)
  }
}
