import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Readable } from 'node:stream'
import t, { type Test } from 'tap'
import { ClusterEndpoint } from '../../../src/cluster/cluster-endpoint.js'
import type { UpstreamConfig } from '../../../src/config/types.js'
import { FAILURES, type Failure } from '../../../src/forward/error-mapping.js'
import { UpstreamAttempt, type AttemptOwner } from '../../../src/forward/upstream-attempt.js'
import { ManualClock } from '../../../src/util/clock.js'
import { testConfig } from '../../helpers/baton-config.js'
import { sleep } from '../../helpers/healing-rig.js'
import { codeError, installFakePool, type FakeCall } from './fake-pool.js'

// UpstreamAttempt is one try: undici's dispatch options and raw handler in one object, forwarding undici's
// events to its owner (the exchange). Here the owner records what it is told, on a manual clock; the pools are
// fakes (fake-pool.ts) except in the last tests, which run real undici Pools against a real loopback backend
// to show undici calls the handler as the fakes do. Per-try timers are real, tens of ms.

/** Records every call an attempt makes to its exchange. */
class RecordingOwner implements AttemptOwner {
  readonly calls: (string | number | Failure)[][] = []
  readonly body: string[] = []
  /** What onAttemptHeaders and onAttemptData return. */
  accept = true

  constructor(readonly clock: ManualClock) {}

  now(): number {
    return this.clock.now()
  }

  onAttemptHeaders(_attempt: UpstreamAttempt, statusCode: number, rawHeaders: Buffer[], statusText: string): boolean {
    this.calls.push(['headers', statusCode, rawHeaders.map(String).join(' '), statusText])
    return this.accept
  }

  onAttemptData(chunk: Buffer): boolean {
    this.calls.push(['data'])
    this.body.push(chunk.toString())
    return this.accept
  }

  onAttemptComplete(): void {
    this.calls.push(['complete'])
  }

  onAttemptError(_attempt: UpstreamAttempt, failure: Failure): void {
    this.calls.push(['error', failure])
  }
}

function upstreamConfig(urls: string[], overrides: Partial<UpstreamConfig> = {}): UpstreamConfig {
  return testConfig([{ endpoints: urls, overrides }]).upstreams[0]
}

interface Rig {
  clock: ManualClock
  owner: RecordingOwner
  endpoints: ClusterEndpoint[]
  calls: FakeCall[]
  /** An attempt for endpoint 0, not yet dispatched. */
  attempt(options?: { method?: 'GET' | 'PUT' | 'POST'; body?: Buffer | Readable | null; tryTimeoutMs?: number; rewriteHost?: boolean }): UpstreamAttempt
}

async function rig(t: Test): Promise<Rig> {
  const clock = new ManualClock(500)
  const owner = new RecordingOwner(clock)
  const config = upstreamConfig(['http://127.0.0.1:9', 'http://127.0.0.1:10'])
  const endpoints = config.endpoints.map((e, i) => new ClusterEndpoint(i, e, config, clock.now()))
  const calls: FakeCall[] = []
  for (const e of endpoints) await installFakePool(e, calls)
  t.teardown(() => Promise.all(endpoints.map((e) => e.close(0))))
  return {
    clock,
    owner,
    endpoints,
    calls,
    attempt: (o = {}) =>
      new UpstreamAttempt(owner, endpoints[0], '/path?q=1', o.method ?? 'GET', ['accept', '*/*', 'host', 'client.test'], o.body ?? null, o.tryTimeoutMs ?? 0, o.rewriteHost ?? false),
  }
}

t.test('dispatch hands undici the attempt itself as options and handler, and counts it in flight', async (t) => {
  const r = await rig(t)
  const body = Buffer.from('payload')
  const a = r.attempt({ method: 'PUT', body })
  a.dispatch(r.endpoints[0], 600)
  t.equal(r.calls.length, 1, 'one dispatch')
  const call = r.calls[0]
  t.equal(call.options, a, 'the options are the attempt')
  t.equal(call.handler, a, 'so is the handler')
  t.same([call.method, call.path, call.requestHeaders, call.body], ['PUT', '/path?q=1', ['accept', '*/*', 'host', 'client.test'], body], 'method, path, headers, body as undici reads them')
  t.match(a, { endpoint: r.endpoints[0], startMs: 600, latencyMs: -1, status: 0, inFlight: true, cancelled: null }, 'fresh state')
  t.equal(r.endpoints[0].inflight, 1, "in the endpoint's in-flight count")
  a.retire()
  t.equal(r.endpoints[0].inflight, 0, 'retire() takes it out again')
  t.equal(a.inFlight, false, 'no longer in flight')
})

t.test('a retry dispatches the same object to the next endpoint with its per-try state reset', async (t) => {
  const r = await rig(t)
  const a = r.attempt()
  a.dispatch(r.endpoints[0], 600)
  r.calls[0].connect()
  // What the exchange sets on a try during its life: a discarded 503 whose retry was decided…
  Object.assign(a, { status: 503, latencyMs: 12, discarding: true, next: r.endpoints[1] })
  a.cancel(FAILURES.headersTimeout) // …or a try cut by its per-try timeout
  t.equal(r.calls[0].aborted, FAILURES.headersTimeout.error, 'the first try was aborted')
  a.retire()
  a.dispatch(r.endpoints[1], 700)
  t.equal(r.calls[1].handler, a, 'the same object')
  t.equal(r.calls[1].endpoint, 1, 'on the next endpoint')
  t.match(a, { endpoint: r.endpoints[1], startMs: 700, latencyMs: -1, status: 0, discarding: false, next: null, cancelled: null }, 'per-try state reset')
  t.same([r.endpoints[0].inflight, r.endpoints[1].inflight], [0, 1], 'the in-flight count moved')
})

t.test('rewriteHost: each dispatch names its endpoint in Host; a sibling gets its own header list', async (t) => {
  const r = await rig(t)
  const a = r.attempt({ rewriteHost: true })
  a.dispatch(r.endpoints[0], 600)
  t.equal(r.calls[0].requestHeaders.at(-1), '127.0.0.1:9', "Host is endpoint 0's host:port")
  const hedge = a.sibling()
  t.not(hedge, a, 'a sibling is a second object')
  t.not(hedge.headers, a.headers, 'with its own header list')
  hedge.dispatch(r.endpoints[1], 650)
  t.equal(r.calls[1].requestHeaders.at(-1), '127.0.0.1:10', "the sibling's Host names endpoint 1")
  t.equal(a.headers.at(-1), '127.0.0.1:9', "the first try's Host is untouched")
  t.same([hedge.path, hedge.method, hedge.body], [a.path, a.method, a.body], 'same request')

  const plain = r.attempt()
  t.equal(plain.sibling().headers, plain.headers, 'without rewriteHost the list is shared (nothing writes to it)')
  plain.dispatch(r.endpoints[1], 600)
  t.equal(r.calls[2].requestHeaders.at(-1), 'client.test', "the client's Host is kept")
})

t.test("undici's events reach the owner: headers (not 1xx), data with backpressure, complete", async (t) => {
  const r = await rig(t)
  const a = r.attempt()
  a.dispatch(r.endpoints[0], 600)
  const call = r.calls[0]
  t.equal(call.headers(100), true, '100 Continue: read on…')
  t.same(r.owner.calls, [], '…and not reported')
  r.owner.accept = false
  t.equal(call.headers(200, { 'x-a': '1' }, 'OK'), false, "onHeaders returns the owner's answer")
  t.same(r.owner.calls, [['headers', 200, 'x-a 1', 'OK']], 'status, raw headers and status text reported')
  t.equal(call.data('abc'), false, 'onData returns false when the owner is full (undici pauses)')
  a.resume()
  t.equal(call.resumed, 1, "resume() calls undici's resume")
  r.owner.accept = true
  t.equal(call.data('def'), true, 'and true when it can take more')
  call.complete()
  t.same(r.owner.body, ['abc', 'def'], 'every chunk forwarded')
  t.same(r.owner.calls.at(-1), ['complete'], 'complete reported')
})

t.test('a discarded response is read on without reaching the owner', async (t) => {
  const r = await rig(t)
  const a = r.attempt()
  a.dispatch(r.endpoints[0], 600)
  r.calls[0].headers(503)
  a.discarding = true
  r.owner.accept = false
  t.equal(r.calls[0].data('busy'), true, 'never paused: read to its end so the connection can be reused')
  t.same(r.owner.body, [], 'the owner never sees the bytes')
})

t.test('onError reports the failure classified once, or the reason the attempt was cancelled for', async (t) => {
  const cases: { name: string; status?: number; cancel?: Failure; error: Error; expect: 'complete' | Failure }[] = [
    { name: 'a refused connect', error: codeError('ECONNREFUSED'), expect: FAILURES.connect },
    { name: 'a reset', error: codeError('ECONNRESET'), expect: FAILURES.reset },
    { name: "undici refused the request: the client's", error: codeError('UND_ERR_INVALID_ARG'), expect: FAILURES.invalidRequest },
    { name: 'cancelled for a lost hedge: that reason, not the abort error undici echoes', cancel: FAILURES.hedgeLost, error: codeError('UND_ERR_ABORTED'), expect: FAILURES.hedgeLost },
    { name: 'a 304 with Content-Length is complete, not a length mismatch', status: 304, error: codeError('UND_ERR_RES_CONTENT_LENGTH_MISMATCH'), expect: 'complete' },
    { name: 'a 204 likewise', status: 204, error: codeError('UND_ERR_RES_CONTENT_LENGTH_MISMATCH'), expect: 'complete' },
    { name: 'a 200 short of its Content-Length is a protocol failure', status: 200, error: codeError('UND_ERR_RES_CONTENT_LENGTH_MISMATCH'), expect: FAILURES.protocol },
  ]
  for (const c of cases) {
    const r = await rig(t)
    const a = r.attempt()
    a.dispatch(r.endpoints[0], 600)
    const call = r.calls[0]
    if (c.status !== undefined) {
      call.headers(c.status)
      a.status = c.status // the exchange sets it at the headers
    }
    if (c.cancel !== undefined) a.cancel(c.cancel)
    call.fail(c.error)
    t.same(r.owner.calls.at(-1), c.expect === 'complete' ? ['complete'] : ['error', c.expect], c.name)
    if (c.expect !== 'complete') t.equal(r.owner.calls.at(-1)![1], c.expect, `${c.name}: the prebuilt failure itself`)
  }
})

t.test('cancel: undici is aborted at once on a connection, else when it gets one; the first reason wins', async (t) => {
  const r = await rig(t)
  const queued = r.attempt()
  queued.dispatch(r.endpoints[0], 600)
  queued.cancel(FAILURES.clientAbort)
  queued.cancel(FAILURES.overallTimeout)
  t.equal(queued.cancelled, FAILURES.clientAbort, 'the first reason is kept')
  t.equal(r.calls[0].aborted, null, 'no connection yet: nothing to abort')
  r.calls[0].connect()
  t.equal(r.calls[0].aborted, FAILURES.clientAbort.error, "aborted with the reason's error as soon as undici connects it")
  t.same(r.owner.calls, [['error', FAILURES.clientAbort]], 'the owner is told once, with that reason')

  const connected = r.attempt()
  connected.dispatch(r.endpoints[1], 600)
  r.calls[1].connect()
  connected.cancel(FAILURES.hedgeLost)
  t.equal(r.calls[1].aborted, FAILURES.hedgeLost.error, 'on a connection: aborted at once')
  t.same(r.owner.calls.at(-1), ['error', FAILURES.hedgeLost], 'before cancel() returned')

  const done = r.attempt()
  done.dispatch(r.endpoints[0], 600)
  r.calls[2].answer(200)
  done.retire()
  done.cancel(FAILURES.clientAbort)
  t.equal(done.cancelled, null, 'an attempt no longer in flight is not cancelled')
})

t.test('onRequestSent moves the start of the latency clock to the end of the request body', async (t) => {
  const cases: { name: string; body: () => Buffer | Readable | null; startMs: number }[] = [
    { name: 'buffered body', body: () => Buffer.from('x'), startMs: 900 },
    { name: 'streamed body', body: () => Readable.from(['x']), startMs: 900 },
    { name: 'no body: the dispatch stays the start', body: () => null, startMs: 600 },
  ]
  for (const c of cases) {
    const r = await rig(t)
    const a = r.attempt({ method: 'PUT', body: c.body() })
    a.dispatch(r.endpoints[0], 600)
    r.clock.set(900)
    r.calls[0].requestSent()
    t.equal(a.startMs, c.startMs, c.name)
  }
})

t.test('the per-try timeout runs from the dispatch, or from the end of a streamed body, and stops at the headers', async (t) => {
  const TRY_MS = 100
  const timedOut = (r: Rig): boolean => r.owner.calls.some((c) => c[0] === 'error' && c[1] === FAILURES.headersTimeout)

  const plain = await rig(t)
  const a = plain.attempt({ tryTimeoutMs: TRY_MS })
  a.dispatch(plain.endpoints[0], 600)
  plain.calls[0].connect()
  const answered = plain.attempt({ tryTimeoutMs: TRY_MS })
  answered.dispatch(plain.endpoints[1], 600)
  plain.calls[1].headers(200)

  const streamed = await rig(t)
  const s = streamed.attempt({ method: 'POST', body: Readable.from(['x']), tryTimeoutMs: TRY_MS })
  s.dispatch(streamed.endpoints[0], 600)
  streamed.calls[0].connect()

  const buffered = await rig(t)
  const b = buffered.attempt({ method: 'PUT', body: Buffer.from('x'), tryTimeoutMs: TRY_MS })
  b.dispatch(buffered.endpoints[0], 600)
  buffered.calls[0].connect()

  await sleep(60)
  buffered.calls[0].requestSent() // restarts the buffered body's timer
  await sleep(90) // 150 ms after the dispatch, 90 ms after the body went out
  t.equal(a.cancelled, FAILURES.headersTimeout, 'no body: timed out 100 ms after the dispatch')
  t.ok(timedOut(plain), 'reported as BATON_UPSTREAM_TIMEOUT (headersTimeout), retryable like undici’s own')
  t.equal((plain.calls[0].aborted as { code?: string } | null)?.code, 'BATON_UPSTREAM_TIMEOUT', 'undici was aborted with it')
  t.equal(answered.cancelled, null, 'headers in time: the timer was stopped')
  t.equal(s.cancelled, null, 'streamed body still uploading: no per-try timer yet')
  t.equal(b.cancelled, null, 'buffered body: its timer restarted when the body went out')

  streamed.calls[0].requestSent()
  await sleep(150)
  t.equal(s.cancelled, FAILURES.headersTimeout, 'streamed body: timed out 100 ms after it went out')
  t.equal(b.cancelled, FAILURES.headersTimeout, 'buffered body: timed out 100 ms after it went out')
  t.ok(timedOut(streamed) && timedOut(buffered), 'both reported')
})

/** A loopback backend: `handler` answers each request. */
async function backend(t: Test, handler: Parameters<typeof createServer>[1]): Promise<{ url: string; server: Server }> {
  const server = createServer(handler)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => {
    server.closeAllConnections()
    return new Promise<void>((resolve) => server.close(() => resolve()))
  })
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server }
}

/** An attempt that also logs which raw handler methods undici called, in order. */
class TracedAttempt extends UpstreamAttempt {
  readonly trace: string[] = []
  override onConnect(abort: (reason: Error) => void): void {
    this.trace.push('connect')
    super.onConnect(abort)
  }
  override onRequestSent(): void {
    this.trace.push('requestSent')
    super.onRequestSent()
  }
  override onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void, statusText: string): boolean {
    this.trace.push(`headers ${statusCode}`)
    return super.onHeaders(statusCode, rawHeaders, resume, statusText)
  }
  override onData(chunk: Buffer): boolean {
    if (this.trace.at(-1) !== 'data') this.trace.push('data')
    return super.onData(chunk)
  }
  override onComplete(): void {
    this.trace.push('complete')
    super.onComplete()
  }
  override onError(err: Error): void {
    this.trace.push('error')
    super.onError(err)
  }
}

/** A real endpoint (real undici Pool) for `url`, closed after the test. */
function realEndpoint(t: Test, url: string, clock: ManualClock): ClusterEndpoint {
  const config = upstreamConfig([url])
  const endpoint = new ClusterEndpoint(0, config.endpoints[0], config, clock.now())
  t.teardown(() => endpoint.close(0))
  return endpoint
}

/** Resolves when the owner got its last call (complete or error). */
async function settled(owner: RecordingOwner): Promise<void> {
  for (let i = 0; i < 200 && !owner.calls.some((c) => c[0] === 'complete' || c[0] === 'error'); i++) await sleep(5)
}

t.test('against a real undici Pool: the raw handler calls come in the order the fakes use, body and all', async (t) => {
  const { url } = await backend(t, (req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => res.writeHead(201, { 'x-got': String(Buffer.concat(chunks).length) }).end('stored'))
  })
  const clock = new ManualClock(100)
  const owner = new RecordingOwner(clock)
  const endpoint = realEndpoint(t, url, clock)
  const a = new TracedAttempt(owner, endpoint, '/upload', 'PUT', ['host', 'x.test'], Buffer.from('twelve bytes'), 0, false)
  a.dispatch(endpoint, 100)
  clock.set(150) // what onRequestSent reads
  await settled(owner)
  t.same(a.trace, ['connect', 'requestSent', 'headers 201', 'data', 'complete'], "undici's calls, in order")
  t.equal(a.startMs, 150, 'latency starts when undici says the body went out')
  t.match(owner.calls[0], ['headers', 201, /x-got 12/], 'the backend got the whole body; the owner got the head')
  t.same(owner.body, ['stored'], 'and the body')
})

t.test('against a real undici Pool: a refused connect and a cancel on a live connection', async (t) => {
  const clock = new ManualClock(0)
  // A port that refuses: listen, note the port, close.
  const probe = createServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const refusedUrl = `http://127.0.0.1:${(probe.address() as AddressInfo).port}`
  await new Promise<void>((resolve) => probe.close(() => resolve()))
  const refusedOwner = new RecordingOwner(clock)
  const refused = realEndpoint(t, refusedUrl, clock)
  const r = new TracedAttempt(refusedOwner, refused, '/', 'GET', ['host', 'x.test'], null, 0, false)
  r.dispatch(refused, 0)
  await settled(refusedOwner)
  t.same(refusedOwner.calls, [['error', FAILURES.connect]], 'ECONNREFUSED reaches the owner as BATON_UPSTREAM_CONNECT')

  let closed = false
  const { url } = await backend(t, (req) => {
    req.socket.on('close', () => (closed = true)) // hangs: never answers
  })
  const owner = new RecordingOwner(clock)
  const endpoint = realEndpoint(t, url, clock)
  const a = new TracedAttempt(owner, endpoint, '/hang', 'GET', ['host', 'x.test'], null, 0, false)
  a.dispatch(endpoint, 0)
  for (let i = 0; i < 200 && !a.trace.includes('connect'); i++) await sleep(5)
  await sleep(20)
  a.cancel(FAILURES.clientAbort)
  t.same(owner.calls, [['error', FAILURES.clientAbort]], "undici's onError ran before cancel() returned, with the cancel's reason")
  for (let i = 0; i < 200 && !closed; i++) await sleep(5)
  t.ok(closed, "the backend's connection was closed: the request is really gone")
})
