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

/** Methods that may be sent twice without changing the outcome (RFC 9110 §9.2.2). */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE'])

/** Told once when an exchange ends, for the access log. */
export interface ExchangeListener {
  onExchangeEnd(exchange: ProxyExchange): void
}

/**
 * One client request, forwarded to one endpoint after another until one answers or retries run out.
 * It is undici's dispatch handler (the raw onConnect/onHeaders/onData/onComplete/onError interface, which
 * undici calls without wrapping) and the response's feeder: one object per request instead of a closure
 * per event. Response bytes stream with backpressure: onData returns false when the client socket is
 * full, and the response's 'drain' resumes undici.
 *
 * Retries go to another endpoint (the failed one excluded) only while nothing reached the client, the
 * body can be replayed (none, or buffered because it fit the replay buffer), the method is idempotent
 * (a connect failure is safe for any method: nothing reached the backend), and the upstream's retry
 * budget allows. A retried 502/503/504 is read to its end so its connection can be reused.
 */
export class ProxyExchange implements ResponseFeeder {
  /** Upstream latency of the last attempt, to response headers or failure, ms; -1 until known. */
  latencyMs = -1
  /** Status sent to the client; 0 until sent. */
  status = 0
  /** The last failure's code, else null. */
  errorCode: string | null = null
  /** Attempts after the first. */
  retries = 0
  private attemptStartMs = 0
  /** Where the next attempt goes, chosen when a retry is decided. */
  private nextEndpoint: UpstreamEndpoint | null = null
  private abortUpstream: ((reason: Error) => void) | null = null
  private resumeUpstream: (() => void) | null = null
  /** The current attempt's response is a retryable status being read to its end, not forwarded. */
  private discarding = false
  private clientGone = false
  private ended = false

  constructor(
    readonly req: IncomingMessage,
    readonly res: BatonResponse,
    readonly cluster: Cluster,
    public endpoint: UpstreamEndpoint,
    private readonly clock: Clock,
    private readonly listener: ExchangeListener | null,
    private readonly path: string,
    private readonly headers: string[],
    /** null: no body; a Buffer: replayable; the request itself: streamed once, never retried. */
    private readonly body: Buffer | IncomingMessage | null,
  ) {}

  start(): void {
    this.res.feeder = this
    this.cluster.retryBudget.active++
    this.dispatch()
  }

  onConnect(abort: (reason: Error) => void): void {
    this.abortUpstream = abort
    if (this.clientGone) abort(CLIENT_GONE)
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void, statusText: string): boolean {
    if (statusCode < 200) return true // 1xx interim responses are not forwarded
    this.resumeUpstream = resume
    const nowMs = this.clock.now()
    this.latencyMs = nowMs - this.attemptStartMs
    this.endpoint.stats.recordResponse(statusCode, this.latencyMs)
    const outcome = statusCode >= 500 ? Outcome.HttpError : Outcome.Success
    this.cluster.observe(this.endpoint, this.latencyMs, statusCode, outcome, nowMs)
    if (this.clientGone) return false
    if (this.cluster.retry.retryOnStatus.includes(statusCode) && this.mayRetry(false)) {
      this.discarding = true
      return true
    }
    this.status = statusCode
    this.res.writeHead(statusCode, statusText, buildClientHeaders(rawHeaders))
    return true
  }

  onData(chunk: Buffer): boolean {
    return this.discarding || this.res.write(chunk)
  }

  onComplete(): void {
    if (this.discarding) {
      this.retry()
      return
    }
    this.res.end()
    this.end()
  }

  onError(err: Error): void {
    const failure = this.clientGone ? FAILURES.clientAbort : classifyUpstreamError(err)
    this.recordFailure(failure)
    const retryDecided = this.discarding && !this.clientGone
    if (retryDecided || (failure.error.retryable && this.mayRetry(failure.outcome === Outcome.ConnectFailure))) {
      // discarding: a retry was already decided at the headers; the broken body changes nothing
      this.retry()
      return
    }
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

  private dispatch(): void {
    this.endpoint.inflight++
    this.attemptStartMs = this.clock.now()
    this.abortUpstream = null
    this.resumeUpstream = null
    this.discarding = false
    this.latencyMs = -1
    if (this.cluster.rewriteHost) this.headers[this.headers.length - 1] = this.endpoint.authority // Host is last (request-headers.ts)
    const options: Dispatcher.DispatchOptions = {
      path: this.path,
      method: this.req.method as Dispatcher.HttpMethod,
      headers: this.headers,
      body: this.body,
    }
    if (this.cluster.retry.perTryTimeoutMs > 0) options.headersTimeout = this.cluster.retry.perTryTimeoutMs
    this.endpoint.pool.dispatch(options, this)
  }

  /**
   * Whether another attempt may follow (see the class comment) and on which endpoint. Takes a budget token
   * when it says yes; the token is held until the exchange ends.
   */
  private mayRetry(nothingSent: boolean): boolean {
    const retry = this.cluster.retry
    if (this.clientGone || this.res.headersSent || this.retries >= retry.maxRetries) return false
    if (this.body !== null && !(this.body instanceof Buffer)) return false
    if (!nothingSent && !retry.retryNonIdempotent && !IDEMPOTENT.has(this.req.method ?? '')) return false
    const next = this.cluster.pickRetry(this.endpoint.index, this.retries + 1)
    if (next === null || next === this.endpoint || !this.cluster.retryBudget.tryAcquireRetry()) return false
    this.nextEndpoint = next
    return true
  }

  private retry(): void {
    this.endpoint.inflight--
    this.endpoint = this.nextEndpoint!
    this.nextEndpoint = null
    this.retries++
    this.dispatch()
  }

  private recordFailure(failure: Failure): void {
    const code = failure.error.code
    const byClient = failure.error.source === 'client'
    const nowMs = this.clock.now()
    this.errorCode = code
    if (this.latencyMs < 0) {
      this.latencyMs = nowMs - this.attemptStartMs
      this.endpoint.stats.recordFailure(code, byClient)
    } else if (!byClient && !this.discarding) {
      this.endpoint.stats.recordBrokenResponse(code)
    }
    this.cluster.observe(this.endpoint, nowMs - this.attemptStartMs, 0, failure.outcome, nowMs)
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
    this.endpoint.inflight--
    this.ended = true
    const budget = this.cluster.retryBudget
    budget.active--
    budget.retrying -= this.retries + (this.nextEndpoint === null ? 0 : 1) // tokens of dispatched and decided retries
    this.res.feeder = null
    if (this.listener !== null) this.listener.onExchangeEnd(this)
  }
}
