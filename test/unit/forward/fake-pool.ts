import type { Dispatcher } from 'undici'
import type { ClusterEndpoint } from '../../../src/cluster/cluster-endpoint.js'

/**
 * A stand-in for an endpoint's undici Pool that only records what it is asked to dispatch, so a test plays the
 * backend: it calls the raw handler methods (onConnect, onRequestSent, onHeaders, onData, onComplete, onError)
 * in the order undici does, when the test says so. The abort function handed to onConnect behaves as undici's:
 * the handler's onError runs before it returns, and the request gets no event after that.
 */
export class FakePool {
  constructor(
    readonly endpoint: number,
    /** Every dispatch to any fake pool of the test, in order. */
    readonly log: FakeCall[],
  ) {}

  dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    this.log.push(new FakeCall(this.endpoint, options, handler as RawHandler))
    return true
  }

  close(): Promise<void> {
    return Promise.resolve()
  }

  destroy(): Promise<void> {
    return Promise.resolve()
  }
}

/** undici's raw (legacy) handler calls, as UpstreamAttempt implements them. */
export interface RawHandler {
  onConnect(abort: (reason: Error) => void): void
  onRequestSent?(): void
  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void, statusText: string): boolean
  onData(chunk: Buffer): boolean
  onComplete(trailers: Buffer[] | null): void
  onError(err: Error): void
}

/** One request as the fake pool received it; the test drives its life. */
export class FakeCall {
  /** What the abort function passed to onConnect was called with; null while not aborted. */
  aborted: Error | null = null
  connected = false
  /** Ended by onComplete or onError: undici sends nothing more. */
  ended = false
  /** Times the handler resumed a paused response. */
  resumed = 0
  /** The fields undici reads from the dispatch options, copied at dispatch (the attempt object is reused for retries). */
  readonly path: string
  readonly method: string
  readonly requestHeaders: string[]
  readonly body: unknown

  constructor(
    /** Index of the endpoint whose pool got it. */
    readonly endpoint: number,
    readonly options: Dispatcher.DispatchOptions,
    readonly handler: RawHandler,
  ) {
    this.path = options.path
    this.method = options.method
    this.requestHeaders = [...(options.headers as string[])]
    this.body = options.body
  }

  /** The request got a connection (undici calls onConnect when it is written to one). */
  connect(): this {
    this.live('connect')
    this.connected = true
    this.handler.onConnect((reason) => {
      if (this.ended) return
      this.aborted = reason
      this.ended = true
      this.handler.onError(reason)
    })
    return this
  }

  /** The whole request, body included, went out. */
  requestSent(): this {
    if (!this.connected) this.connect()
    this.live('requestSent')
    this.handler.onRequestSent?.()
    return this
  }

  /** Response headers; returns what the handler returned. */
  headers(status: number, headers: Record<string, string> = {}, statusText = ''): boolean {
    if (!this.connected) this.connect()
    this.live('headers')
    const raw: Buffer[] = []
    for (const [name, value] of Object.entries(headers)) raw.push(Buffer.from(name), Buffer.from(value))
    return this.handler.onHeaders(status, raw, () => this.resumed++, statusText)
  }

  /** A body chunk; returns the handler's answer (false: pause). */
  data(text: string): boolean {
    this.live('data')
    return this.handler.onData(Buffer.from(text))
  }

  complete(): void {
    this.live('complete')
    this.ended = true
    this.handler.onComplete(null)
  }

  /** undici reports a failure (a socket error, a timeout…). */
  fail(err: Error): void {
    this.live('fail')
    this.ended = true
    this.handler.onError(err)
  }

  /** Headers, body and end in one go. */
  answer(status: number, body = '', headers: Record<string, string> = {}): void {
    this.headers(status, headers)
    if (body.length > 0 && !this.ended) this.data(body)
    if (!this.ended) this.complete()
  }

  private live(what: string): void {
    if (this.ended) throw new Error(`test bug: ${what} on a request undici already ended (endpoint ${this.endpoint})`)
  }
}

/** An error as undici or the socket raises it: with a code. */
export function codeError(code: string, message = code): Error {
  return Object.assign(new Error(message), { code })
}

/** Puts a fake pool in place of `endpoint`'s real one (closed first: it never connected). */
export async function installFakePool(endpoint: ClusterEndpoint, log: FakeCall[]): Promise<FakePool> {
  await endpoint.pool.close()
  const fake = new FakePool(endpoint.index, log)
  ;(endpoint as { pool: unknown }).pool = fake
  return fake
}
