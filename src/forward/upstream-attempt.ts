import type { Readable } from 'node:stream'
import type { Dispatcher } from 'undici'
import type { ClusterEndpoint } from '../cluster/cluster-endpoint.js'
import { classifyUpstreamError, FAILURES, type Failure } from './error-mapping.js'

/** What an attempt reports to the exchange that owns it; 1xx interim responses are not reported. */
export interface AttemptOwner {
  /** Monotonic ms on the exchange's clock. */
  now(): number
  onAttemptHeaders(attempt: UpstreamAttempt, statusCode: number, rawHeaders: Buffer[], statusText: string): boolean
  onAttemptData(chunk: Buffer): boolean
  onAttemptComplete(attempt: UpstreamAttempt): void
  /** The failure is the one the exchange cancelled with, else undici's error classified. */
  onAttemptError(attempt: UpstreamAttempt, failure: Failure): void
}

/**
 * One try of a request on one endpoint. It is both undici's dispatch options (the fields path, method,
 * headers and body are named as undici reads them, at dispatch or when the request leaves
 * the pool's queue) and its raw dispatch handler, forwarding each event to the exchange: a try costs this
 * one object, as the options literal alone did before. A retry dispatches the same object to the next
 * endpoint; a hedge is a second one (sibling()).
 */
export class UpstreamAttempt implements Dispatcher.DispatchOptions {
  endpoint: ClusterEndpoint
  /** When this try was dispatched, ms on the exchange's clock. */
  startMs = 0
  /** To response headers, or to the failure when none came, ms; -1 until one of them happens. */
  latencyMs = -1
  /** Response status; 0 until headers arrive. */
  status = 0
  /** Its response is a retryable status read to its end (so the connection is reused), not forwarded. */
  discarding = false
  /** Where the retry goes once the discarded response ends; null when none was decided. */
  next: ClusterEndpoint | null = null
  /**
   * Why this try was cancelled (by the exchange, or by its per-try timeout); undici gets its error at once, or
   * at onConnect if not connected yet (a try still queued for a connection is cut when it gets one).
   */
  cancelled: Failure | null = null
  /** Dispatched, and neither complete nor failed. */
  inFlight = false
  private abortUpstream: ((reason: Error) => void) | null = null
  private resumeUpstream: (() => void) | null = null
  /** The per-try timer while waiting for headers; null otherwise. */
  private tryTimer: NodeJS.Timeout | null = null

  constructor(
    private readonly owner: AttemptOwner,
    endpoint: ClusterEndpoint,
    readonly path: string,
    readonly method: Dispatcher.HttpMethod,
    /** The exchange's upstream headers, Host last (request-headers.ts). */
    readonly headers: string[],
    /** null: no body; a Buffer: replayable; a stream: streamed once. */
    readonly body: Buffer | Readable | null,
    /**
     * Per-try timeout from dispatch to response headers, ms; 0 leaves only the pool's headersTimeout. Its own
     * timer, not undici's headersTimeout: undici runs that on coarse timers (a 500 ms tick), so a 300 ms
     * per-try timeout fired after about a second.
     */
    private readonly tryTimeoutMs: number,
    /** Whether Host becomes the endpoint's host:port. */
    private readonly rewriteHost: boolean,
  ) {
    this.endpoint = endpoint
  }

  /** A copy for another endpoint while this one may still be queued: own headers when Host is rewritten. */
  sibling(): UpstreamAttempt {
    const headers = this.rewriteHost ? this.headers.slice() : this.headers
    return new UpstreamAttempt(this.owner, this.endpoint, this.path, this.method, headers, this.body, this.tryTimeoutMs, this.rewriteHost)
  }

  /** Sends this try to `endpoint`; undici may report a failure before this returns. */
  dispatch(endpoint: ClusterEndpoint, nowMs: number): void {
    this.endpoint = endpoint
    endpoint.inflight++
    this.inFlight = true
    this.startMs = nowMs
    this.latencyMs = -1
    this.status = 0
    this.cancelled = null // a try cut by its per-try timeout is dispatched again on a retry
    this.discarding = false
    this.next = null
    this.abortUpstream = null
    this.resumeUpstream = null
    if (this.rewriteHost) this.headers[this.headers.length - 1] = endpoint.authority
    // A streamed body may take the client minutes to send: its try's clock starts when the body is out.
    if (this.tryTimeoutMs > 0 && !this.streamsBody()) this.tryTimer = setTimeout(tryTimedOut, this.tryTimeoutMs, this)
    endpoint.pool.dispatch(this, this)
  }

  /** The try is over (complete or failed): it leaves its endpoint's in-flight count. */
  retire(): void {
    this.inFlight = false
    this.endpoint.inflight--
  }

  /** Stops the try for `failure`'s reason; the first reason given wins. */
  cancel(failure: Failure): void {
    if (!this.inFlight || this.cancelled !== null) return
    this.cancelled = failure
    if (this.abortUpstream !== null) this.abortUpstream(failure.error) // undici calls onError before returning
  }

  onTryTimeout(): void {
    this.tryTimer = null
    this.cancel(FAILURES.headersTimeout)
  }

  /** The client can take more of this try's response. */
  resume(): void {
    if (this.resumeUpstream !== null) this.resumeUpstream()
  }

  /**
   * The whole request, body included, went out. Latency is what the backend took from here (a slow uploader
   * does not make a backend look slow), and so is the per-try timeout; without a body this is the dispatch.
   */
  onRequestSent(): void {
    if (this.body === null) return
    this.startMs = this.owner.now()
    if (this.tryTimer !== null) this.tryTimer.refresh()
    else if (this.tryTimeoutMs > 0 && this.streamsBody() && this.cancelled === null) this.tryTimer = setTimeout(tryTimedOut, this.tryTimeoutMs, this)
  }

  /** The body is a stream (sent at the client's pace), not a buffer or nothing. */
  private streamsBody(): boolean {
    return this.body !== null && !Buffer.isBuffer(this.body)
  }

  onConnect(abort: (reason: Error) => void): void {
    this.abortUpstream = abort
    if (this.cancelled !== null) abort(this.cancelled.error)
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void, statusText: string): boolean {
    if (statusCode < 200) return true // 1xx interim responses are not forwarded
    this.stopTryTimer()
    this.resumeUpstream = resume
    return this.owner.onAttemptHeaders(this, statusCode, rawHeaders, statusText)
  }

  onData(chunk: Buffer): boolean {
    return this.discarding || this.owner.onAttemptData(chunk)
  }

  onComplete(): void {
    this.owner.onAttemptComplete(this)
  }

  onError(err: Error): void {
    this.stopTryTimer()
    if (isBodilessLengthMismatch(this.status, err)) {
      this.owner.onAttemptComplete(this)
      return
    }
    this.owner.onAttemptError(this, this.cancelled ?? classifyUpstreamError(err))
  }

  private stopTryTimer(): void {
    if (this.tryTimer === null) return
    clearTimeout(this.tryTimer)
    this.tryTimer = null
  }
}

/**
 * undici checks a response's Content-Length against the bytes read for every method but HEAD, so a 304 or 204
 * carrying Content-Length (allowed: RFC 9110 §8.6, §15.4.5) "fails" after its head. Such a response has no
 * body by definition: it is complete.
 */
function isBodilessLengthMismatch(status: number, err: Error): boolean {
  return (status === 304 || status === 204) && (err as { code?: string }).code === 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH'
}

/** The per-try timeout passed without response headers: a timeout of this try, retried like undici's own. */
function tryTimedOut(attempt: UpstreamAttempt): void {
  attempt.onTryTimeout()
}
