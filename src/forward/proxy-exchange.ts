import type { IncomingMessage } from 'node:http'
import type { Readable } from 'node:stream'
import type { Dispatcher } from 'undici'
import { Outcome } from '../util/outcome.js'
import type { Cluster } from '../cluster/cluster.js'
import type { ClusterEndpoint } from '../cluster/cluster-endpoint.js'
import { triedBit } from '../balancer/tried-endpoints.js'
import type { RouteTarget } from './route-target.js'
import type { BatonResponse, ResponseFeeder } from './baton-response.js'
import { sendError } from '../util/error-response.js'
import type { Clock } from '../util/clock.js'
import { BODY_BROKEN, FAILURES, type Failure } from './error-mapping.js'
import { buildClientHeaders } from './response-headers.js'
import { UpstreamAttempt, type AttemptOwner } from './upstream-attempt.js'

/** Methods that may be sent twice without changing the outcome (RFC 9110 §9.2.2). */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE'])

/** Methods hedged when they carry no body: safe ones whose copy costs the backend a read at most. */
const HEDGEABLE = new Set(['GET', 'HEAD', 'OPTIONS'])

/** Told once when an exchange ends, for the access log. */
export interface ExchangeListener {
  onExchangeEnd(exchange: ProxyExchange): void
}

/** What every exchange of one listener shares. */
export interface ExchangeEnv {
  readonly clock: Clock
  readonly listener: ExchangeListener | null
  /** This proxy's Via entry, appended to the response's Via. */
  readonly viaEntry: string
}

/**
 * One client request, forwarded to one endpoint after another until one answers or retries run out.
 * Each try is an UpstreamAttempt (undici's raw dispatch handler and options in one object) that reports
 * back here; the exchange decides retries, hedges and timeouts, and is the response's feeder. Response
 * bytes stream with backpressure: onAttemptData returns false when the client socket is full, and the
 * response's 'drain' resumes the winning try.
 *
 * Retries go to another endpoint (the failed one excluded, and where one is left every endpoint tried) only while nothing reached the client, the
 * body can be replayed (none, or buffered because it fit the replay buffer), the method is idempotent or
 * the route opts in (a connect failure is safe for any method: nothing reached the backend), and the
 * upstream's retry budget allows. A retried 502/503/504 is read to its end so its connection can be reused.
 *
 * A hedge (GET, HEAD or OPTIONS without a body, hedging on: the default) is a second try sent to another
 * endpoint when the first has no response headers after the upstream's hedge delay, under the same budget;
 * the first headers win and the other try is cancelled without counting against its endpoint's health or
 * statistics: the policy alone learns it as a timeout after its wait (a stall is latency it must see). The overall timeout bounds the time
 * from the first dispatch to response headers across every try: when it fires the client gets a 504.
 * Both are timers, armed only when configured, calling module-level functions: no closure per request.
 */
export class ProxyExchange implements AttemptOwner, ResponseFeeder {
  /** Latency of the try that answered (or failed last), to response headers or failure, ms; -1 until known. */
  latencyMs = -1
  /** Status sent to the client; 0 until sent. */
  status = 0
  /** The last failure's code, else null. */
  errorCode: string | null = null
  /** Tries after the first one, hedges excluded. */
  retries = 0
  /** Hedged copies sent: 0 or 1. */
  hedges = 0
  /** The endpoint whose answer the client got, or the last one that failed; the first pick until then. */
  endpoint: ClusterEndpoint
  /** The first try, reused for retries. */
  private readonly first: UpstreamAttempt
  /** The hedged try, once sent. */
  private hedge: UpstreamAttempt | null = null
  /** The try whose response is forwarded; null until one wins. */
  private winner: UpstreamAttempt | null = null
  /** Tries in flight; the exchange ends when the last one finishes. */
  private inFlight = 0
  /** The endpoints tried so far (balancer/tried-endpoints.ts), which retries and hedges avoid. */
  private tried = 0
  /** Retry budget tokens taken (retries and hedges); all returned when the exchange ends. */
  private tokens = 0
  private overallTimer: NodeJS.Timeout | null = null
  private hedgeTimer: NodeJS.Timeout | null = null
  private clientGone = false
  /** The request holds an admission permit (server/request-handler.ts sets it before start); released when the exchange ends. */
  holdsPermit = false
  readonly cluster: Cluster
  private readonly clock: Clock

  constructor(
    readonly req: IncomingMessage,
    readonly res: BatonResponse,
    readonly route: RouteTarget,
    endpoint: ClusterEndpoint,
    private readonly env: ExchangeEnv,
    path: string,
    headers: string[],
    /** null: no body; a Buffer: replayable; a stream (the request's body): streamed once, never retried. */
    private readonly body: Buffer | Readable | null,
  ) {
    this.clock = env.clock
    this.endpoint = endpoint
    const cluster = route.cluster
    this.cluster = cluster
    const method = req.method as Dispatcher.HttpMethod
    this.first = new UpstreamAttempt(this, endpoint, path, method, headers, body, cluster.retry.perTryTimeoutMs, cluster.rewriteHost)
  }

  start(): void {
    this.res.feeder = this
    this.cluster.requestStarted()
    const overallMs = this.cluster.retry.overallTimeoutMs
    if (overallMs > 0) this.overallTimer = setTimeout(overallTimeoutFired, overallMs, this)
    const hedgeMs = this.cluster.hedgeDelayMs()
    if (hedgeMs >= 0 && this.body === null && HEDGEABLE.has(this.req.method ?? '')) {
      this.hedgeTimer = setTimeout(hedgeDue, hedgeMs, this)
    }
    this.launch(this.first, this.endpoint)
  }

  now(): number {
    return this.clock.now()
  }

  onAttemptHeaders(attempt: UpstreamAttempt, statusCode: number, rawHeaders: Buffer[], statusText: string): boolean {
    const nowMs = this.clock.now()
    attempt.latencyMs = nowMs - attempt.startMs
    attempt.status = statusCode
    if (statusCode === 429 || statusCode === 503) this.cluster.observeRetryAfter(attempt.endpoint, rawHeaders, nowMs)
    const report = this.route.loadReport
    if (report !== null) this.cluster.observeLoad(attempt.endpoint, report.find(rawHeaders), nowMs)
    this.cluster.observeHeaders(attempt.endpoint, attempt.latencyMs, statusCode, nowMs)
    // A retryable status is read to its end and dropped while the other try may still answer, or when a retry follows.
    if (this.cluster.retry.retryOnStatus.includes(statusCode) && (this.otherMayAnswer(attempt) || this.mayRetry(attempt, false))) {
      attempt.discarding = true
      return true
    }
    this.win(attempt, statusCode)
    this.res.writeHead(statusCode, statusText, buildClientHeaders(rawHeaders, this.env.viaEntry, report?.header ?? null))
    return true
  }

  onAttemptData(chunk: Buffer): boolean {
    return this.res.write(chunk)
  }

  onAttemptComplete(attempt: UpstreamAttempt): void {
    this.cluster.observeBodyEnd(attempt.endpoint, attempt.latencyMs, attempt.status, Outcome.Success, null, this.clock.now())
    if (attempt.discarding && attempt.next !== null && !this.answered()) {
      this.retry(attempt)
      return
    }
    if (attempt === this.winner) this.res.end()
    this.finish(attempt)
  }

  /**
   * A try failed. The winner's body broke off: cut the client's connection so it sees the truncation. Any
   * other try just ends when the client has its answer (a winner, the overall timeout) or left, or when the
   * other try of a hedged pair may still answer; else it is retried or its failure is the answer.
   */
  onAttemptError(attempt: UpstreamAttempt, failure: Failure): void {
    this.recordFailure(attempt, failure)
    if (attempt === this.winner) {
      if (!this.clientGone) this.res.destroy()
    } else if (!this.answered() && !this.otherMayAnswer(attempt)) {
      if (attempt.next !== null || (failure.error.retryable && this.mayRetry(attempt, failure.outcome === Outcome.ConnectFailure))) {
        this.retry(attempt) // next set: a retry was decided at the headers; the broken discarded body changes nothing
        return
      }
      this.answerFailure(failure)
    }
    this.finish(attempt)
  }

  onClientBodyBroken(): void {
    if (this.body !== null && !Buffer.isBuffer(this.body)) this.body.destroy(BODY_BROKEN)
  }

  onClientDrain(): void {
    if (this.winner !== null) this.winner.resume()
  }

  /** The response closed: either it finished (nothing to do) or the client left mid-way (cancel upstream). */
  onClientClose(): void {
    if (this.res.writableFinished) return
    this.clientGone = true
    this.clearTimers()
    this.first.cancel(FAILURES.clientAbort)
    if (this.hedge !== null) this.hedge.cancel(FAILURES.clientAbort)
  }

  /** The hedge delay passed: send a copy to another endpoint if the try in flight still has no headers. */
  onHedgeDue(): void {
    this.hedgeTimer = null
    const first = this.first
    if (first.latencyMs >= 0) return // a retryable status is being read to its end; its retry follows
    const next = this.cluster.pickRetry(first.endpoint.index, this.retries + 1, this.tried)
    if (next === null || next === first.endpoint || !this.takeToken(true)) return
    this.hedges++
    this.hedge = first.sibling()
    this.launch(this.hedge, next)
  }

  /** No response headers within the overall timeout: 504 now, and every try still waiting is stopped. */
  onOverallTimeout(): void {
    this.overallTimer = null
    this.answerFailure(FAILURES.overallTimeout)
    this.cancelWaiting(this.first, FAILURES.overallTimeout)
    if (this.hedge !== null) this.cancelWaiting(this.hedge, FAILURES.overallTimeout)
  }

  private launch(attempt: UpstreamAttempt, endpoint: ClusterEndpoint): void {
    this.inFlight++
    this.tried |= triedBit(endpoint.index)
    attempt.dispatch(endpoint, this.clock.now())
  }

  /** The other try of a hedged pair is in flight, not cancelled and without headers yet. */
  private otherMayAnswer(attempt: UpstreamAttempt): boolean {
    const other = attempt === this.first ? this.hedge : this.first
    return other !== null && other.inFlight && other.cancelled === null && other.latencyMs < 0
  }

  /** The client has its answer (headers forwarded or an error sent), or has left. */
  private answered(): boolean {
    return this.status !== 0 || this.clientGone
  }

  /** `attempt`'s response goes to the client: the overall timer stops, no hedge follows, the other try is cancelled. */
  private win(attempt: UpstreamAttempt, statusCode: number): void {
    this.status = statusCode // first: the cancelled try sees an answered exchange
    this.winner = attempt
    this.endpoint = attempt.endpoint
    this.latencyMs = attempt.latencyMs
    this.clearTimers()
    this.closeIfUploadUnfinished()
    const other = attempt === this.first ? this.hedge : this.first
    if (other !== null) this.cancelWaiting(other, FAILURES.hedgeLost)
  }

  /**
   * An answer that comes before the client finished sending a streamed body (a backend's early 413 or 500, a
   * 502) is the connection's last: the rest of the upload is nobody's to read (undici stopped reading it), and
   * left unread it would hold the connection until a timeout (found by the soak test: a keep-alive client
   * waited 6 s for its next answer).
   */
  private closeIfUploadUnfinished(): void {
    if (this.body !== null && !Buffer.isBuffer(this.body) && !this.req.complete) this.res.shouldKeepAlive = false
  }

  /** Cancels a try that has no response headers yet; one reading a discarded status finishes on its own. */
  private cancelWaiting(attempt: UpstreamAttempt, failure: Failure): void {
    if (attempt.latencyMs < 0) attempt.cancel(failure)
  }

  /**
   * Whether `attempt` may be followed by a retry (see the class comment) and on which endpoint. Takes a
   * budget token when it says yes; the token is held until the exchange ends.
   */
  private mayRetry(attempt: UpstreamAttempt, nothingSent: boolean): boolean {
    const retry = this.cluster.retry
    if (this.retries >= retry.maxRetries) return false
    if (this.body !== null && !(this.body instanceof Buffer)) return false
    if (!nothingSent && !this.route.retryNonIdempotent && !IDEMPOTENT.has(this.req.method ?? '')) return false
    const next = this.cluster.pickRetry(attempt.endpoint.index, this.retries + this.hedges + 1, this.tried)
    if (next === null || next === attempt.endpoint || !this.takeToken(false)) return false
    attempt.next = next
    return true
  }

  private takeToken(forHedge: boolean): boolean {
    const budget = this.cluster.retryBudget
    if (!(forHedge ? budget.tryAcquireHedge() : budget.tryAcquireRetry())) return false
    this.tokens++
    return true
  }

  private retry(attempt: UpstreamAttempt): void {
    const next = attempt.next!
    attempt.retire()
    this.retries++
    this.tried |= triedBit(next.index)
    attempt.dispatch(next, this.clock.now())
  }

  private recordFailure(attempt: UpstreamAttempt, failure: Failure): void {
    const code = failure.error.code
    const nowMs = this.clock.now()
    if (attempt.latencyMs < 0) {
      attempt.latencyMs = nowMs - attempt.startMs
      if (failure === FAILURES.hedgeLost) this.cluster.observeHedgeLoser(attempt.endpoint, attempt.latencyMs, code, nowMs)
      else this.cluster.observeFailure(attempt.endpoint, attempt.latencyMs, failure.outcome, code, nowMs)
    } else {
      // A discarded retryable status breaking off is no new failure: its status was counted at the headers.
      this.cluster.observeBodyEnd(attempt.endpoint, attempt.latencyMs, attempt.status, failure.outcome, attempt.discarding ? null : code, nowMs)
    }
    if (failure === FAILURES.hedgeLost) return // the other try answered: nothing failed
    this.errorCode = code
    if (this.winner === null) {
      this.endpoint = attempt.endpoint
      this.latencyMs = attempt.latencyMs
    }
  }

  /**
   * A JSON error with the failure's status; nothing reached the client before. A failure of the client's own
   * request (its body broke or outgrew the limit) also ends the connection: the rest of its bytes cannot be trusted.
   */
  private answerFailure(failure: Failure): void {
    this.clearTimers()
    this.status = failure.error.status
    this.errorCode = failure.error.code
    if (failure.error.source === 'client') this.res.shouldKeepAlive = false
    this.closeIfUploadUnfinished()
    sendError(this.res, failure.error.status, failure.error.code, failure.error.message)
  }

  private clearTimers(): void {
    if (this.overallTimer !== null) clearTimeout(this.overallTimer)
    if (this.hedgeTimer !== null) clearTimeout(this.hedgeTimer)
    this.overallTimer = null
    this.hedgeTimer = null
  }

  /** `attempt` is over; the exchange ends with its last try, once the client has its answer. */
  private finish(attempt: UpstreamAttempt): void {
    attempt.retire()
    if (--this.inFlight > 0) return
    this.cluster.requestEnded(this.tokens, this.holdsPermit, this.clientGone ? 0 : this.status)
    this.res.feeder = null
    if (this.env.listener !== null) this.env.listener.onExchangeEnd(this)
  }
}

/** setTimeout callbacks: module-level, the exchange passed as the argument (no closure per request). */
function overallTimeoutFired(exchange: ProxyExchange): void {
  exchange.onOverallTimeout()
}

function hedgeDue(exchange: ProxyExchange): void {
  exchange.onHedgeDue()
}
