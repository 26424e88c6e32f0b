import type { IncomingMessage } from 'node:http'
import { Readable } from 'node:stream'
import t, { type Test } from 'tap'
import { Cluster } from '../../../src/cluster/cluster.js'
import { catchAllRoute } from '../../../src/config/build.js'
import type { BatonResponse } from '../../../src/forward/baton-response.js'
import { BODY_BROKEN, BODY_TOO_LARGE } from '../../../src/forward/error-mapping.js'
import { ProxyExchange, type ExchangeListener } from '../../../src/forward/proxy-exchange.js'
import { routeTarget } from '../../../src/forward/route-target.js'
import { EventLog } from '../../../src/health/event-log.js'
import { ManualClock } from '../../../src/util/clock.js'
import { Outcome } from '../../../src/util/outcome.js'
import { SeededRng } from '../../../src/util/rng.js'
import { testConfig } from '../../helpers/baton-config.js'
import { healthConfig, retryConfig, sleep } from '../../helpers/healing-rig.js'
import { codeError, installFakePool, type FakeCall } from './fake-pool.js'

// ProxyExchange decides retries, hedges and what the client gets. Here it runs against a real Cluster (real
// balancer, health, retry budget and endpoint statistics, a manual clock and a seeded rng) whose pools are
// fakes (fake-pool.ts): the test plays each backend by calling undici's raw handler methods in undici's order.
// The client side is a recording response. The hedge and overall-timeout timers are real, a few ms long.

/** What the client got: the response calls the exchange made. */
class FakeResponse {
  feeder: unknown = null
  status = 0
  headers: unknown = null
  readonly chunks: string[] = []
  ended = false
  destroyed = false
  headersSent = false
  writableFinished = false
  shouldKeepAlive = true
  /** What write() returns: false says the client socket is full. */
  writeReturns = true

  writeHead(status: number, ...rest: unknown[]): this {
    if (this.headersSent) throw new Error('test: writeHead twice')
    this.status = status
    this.headers = rest[rest.length - 1] ?? null
    this.headersSent = true
    return this
  }

  write(chunk: Buffer | string): boolean {
    this.chunks.push(chunk.toString())
    return this.writeReturns
  }

  end(chunk?: string): this {
    if (chunk !== undefined) this.chunks.push(chunk)
    this.ended = true
    return this
  }

  destroy(): this {
    this.destroyed = true
    return this
  }

  get body(): string {
    return this.chunks.join('')
  }

  /** The JSON error code of a Baton error answer. */
  get errorCode(): string | null {
    try {
      return (JSON.parse(this.body) as { error?: string }).error ?? null
    } catch {
      return null
    }
  }
}

interface RigOptions {
  endpoints?: number
  method?: string
  body?: Buffer | Readable | null
  /** YAML of `retry:` */
  retry?: Record<string, unknown>
  /** YAML of `health:` (forecasts off) */
  health?: Record<string, unknown>
  policy?: 'round_robin' | 'random'
  /** Index of the first pick. */
  first?: number
  retryNonIdempotent?: boolean
}

interface Rig {
  cluster: Cluster
  clock: ManualClock
  events: EventLog
  /** Every dispatch to any endpoint, in order. */
  calls: FakeCall[]
  res: FakeResponse
  exchange: ProxyExchange
  /** onExchangeEnd calls. */
  ended: ProxyExchange[]
  /** Every policy observation: [endpoint, status, outcome]. */
  policy: [number, number, Outcome][]
  /** The latency of every policy observation, ms, in the same order. */
  policyLatency: number[]
  /** A second exchange on the same cluster (same upstream, new client). */
  another(options?: Pick<RigOptions, 'method' | 'body' | 'first'>): { exchange: ProxyExchange; res: FakeResponse }
}

async function rig(t: Test, options: RigOptions = {}): Promise<Rig> {
  const n = options.endpoints ?? 3
  const urls = Array.from({ length: n }, (_, i) => `http://127.0.0.1:${9 + i}`)
  const config = testConfig([
    {
      endpoints: urls,
      policy: { name: options.policy ?? 'round_robin' },
      overrides: { retry: retryConfig(options.retry ?? {}), health: healthConfig(options.health ?? {}) },
    },
  ]).upstreams[0]
  const clock = new ManualClock(1_000)
  const events = new EventLog()
  const cluster = new Cluster(config, { clock, wallClock: () => clock.now(), rng: new SeededRng(7), events })
  t.teardown(() => cluster.close(0))
  const calls: FakeCall[] = []
  for (const e of cluster.endpoints) await installFakePool(e, calls)
  const ended: ProxyExchange[] = []
  const listener: ExchangeListener = { onExchangeEnd: (x) => void ended.push(x) }
  const route = routeTarget({ ...catchAllRoute('r', config.name), retryNonIdempotent: options.retryNonIdempotent ?? null }, cluster)
  const policyCalls: [number, number, Outcome][] = []
  const policyLatency: number[] = []
  const policy = cluster.balancer.policy
  const observe = policy.observe.bind(policy)
  policy.observe = (e, latencyMs, status, outcome, nowMs) => {
    policyCalls.push([e.index, status, outcome])
    policyLatency.push(latencyMs)
    observe(e, latencyMs, status, outcome, nowMs)
  }
  const make = (o: Pick<RigOptions, 'method' | 'body' | 'first'>): { exchange: ProxyExchange; res: FakeResponse } => {
    const res = new FakeResponse()
    const req = { method: o.method ?? 'GET' } as IncomingMessage
    const exchange = new ProxyExchange(
      req,
      res as unknown as BatonResponse,
      route,
      cluster.endpoints[o.first ?? 0],
      { clock, listener, viaEntry: '1.1 baton' },
      '/p',
      ['host', 'example.test'],
      o.body ?? null,
    )
    exchange.start()
    return { exchange, res }
  }
  const { exchange, res } = make(options)
  return { cluster, clock, events, calls, res, exchange, ended, policy: policyCalls, policyLatency, another: (o = {}) => make(o) }
}

/** The retry budget is back where it started: no request in flight, no token held. */
function budgetIsBack(t: Test, r: Rig, what = 'the exchange ended'): void {
  t.match(r.cluster.retryBudget, { active: 0, retrying: 0 }, `${what}: every budget token returned, no request active`)
}

function counts(r: Rig, i: number): { requests: number; errors: number; clientAborts: number; errorsByCode: Record<string, number> } {
  return r.cluster.endpoints[i].stats.counts()
}

t.test('a failed try is retried on another endpoint while nothing reached the client', async (t) => {
  const small = Buffer.from('{"x":1}')
  const cases: { name: string; method: string; body: 'none' | 'buffer' | 'stream'; error: string; retried: boolean; status?: number; code?: string }[] = [
    { name: 'refused GET', method: 'GET', body: 'none', error: 'ECONNREFUSED', retried: true },
    { name: 'refused POST: nothing reached the backend, safe for any method', method: 'POST', body: 'buffer', error: 'ECONNREFUSED', retried: true },
    { name: 'reset GET', method: 'GET', body: 'none', error: 'ECONNRESET', retried: true },
    { name: 'reset PUT with a buffered body (idempotent, replayable)', method: 'PUT', body: 'buffer', error: 'ECONNRESET', retried: true },
    { name: 'reset POST: it may have reached the backend', method: 'POST', body: 'buffer', error: 'ECONNRESET', retried: false, status: 502, code: 'BATON_UPSTREAM_RESET' },
    { name: 'reset PUT with a streamed body: not replayable', method: 'PUT', body: 'stream', error: 'ECONNRESET', retried: false, status: 502, code: 'BATON_UPSTREAM_RESET' },
    { name: 'headers timeout GET', method: 'GET', body: 'none', error: 'UND_ERR_HEADERS_TIMEOUT', retried: true },
    { name: 'an error that is not retryable', method: 'GET', body: 'none', error: 'EWHATEVER', retried: false, status: 502, code: 'BATON_UPSTREAM_ERROR' },
  ]
  for (const c of cases) {
    const body = c.body === 'none' ? null : c.body === 'buffer' ? small : Readable.from([small])
    const r = await rig(t, { method: c.method, body })
    t.equal(r.calls.length, 1, `${c.name}: one dispatch to start with`)
    t.equal(r.calls[0].endpoint, 0, `${c.name}: to the first pick`)
    r.calls[0].fail(codeError(c.error))
    if (c.retried) {
      t.equal(r.calls.length, 2, `${c.name}: retried`)
      const retry = r.calls[1]
      t.not(retry.endpoint, 0, `${c.name}: on another endpoint (${retry.endpoint})`)
      t.same([retry.method, retry.path, retry.body], [c.method, '/p', body], `${c.name}: the same request, body included`)
      t.equal(r.res.status, 0, `${c.name}: nothing sent to the client before the retry answered`)
      retry.answer(200, 'hello')
      t.match(r.res, { status: 200, ended: true, body: 'hello' }, `${c.name}: the retry's answer reached the client`)
      t.equal(r.exchange.retries, 1, `${c.name}: one retry`)
      t.equal(r.exchange.endpoint, r.cluster.endpoints[retry.endpoint], `${c.name}: the exchange names the endpoint that answered`)
      t.equal(counts(r, retry.endpoint).requests, 1, `${c.name}: the answer is recorded on the retry's endpoint`)
    } else {
      t.equal(r.calls.length, 1, `${c.name}: not retried`)
      t.match(r.res, { status: c.status, errorCode: c.code, ended: true }, `${c.name}: the failure is the answer (${c.status} ${c.code})`)
    }
    t.equal(counts(r, 0).errors, 1, `${c.name}: the failure counted against endpoint 0 (${JSON.stringify(counts(r, 0).errorsByCode)})`)
    t.equal(r.ended.length, 1, `${c.name}: the exchange ended once`)
    budgetIsBack(t, r, c.name)
  }
})

t.test('the failed endpoint is excluded from the retry, whatever the balancer would pick next', async (t) => {
  // Random policy over three endpoints: without the exclusion about a third of the retries would go back.
  const r = await rig(t, { policy: 'random', retry: { maxRetries: 1 } })
  const targets: Record<number, number> = {}
  for (let k = 0; k < 60; k++) {
    const x = k === 0 ? { exchange: r.exchange, res: r.res } : r.another()
    const before = r.calls.length
    r.calls[before - 1].fail(codeError('ECONNREFUSED'))
    t.equal(r.calls.length, before + 1, `exchange ${k}: retried`)
    const retry = r.calls[before]
    targets[retry.endpoint] = (targets[retry.endpoint] ?? 0) + 1
    retry.answer(200)
    if (x.res.status !== 200) t.fail(`exchange ${k}: answered ${x.res.status}`)
  }
  t.notOk(0 in targets, `no retry went back to the failed endpoint 0 (${JSON.stringify(targets)})`)
  t.ok((targets[1] ?? 0) > 10 && (targets[2] ?? 0) > 10, 'both others served retries')
  budgetIsBack(t, r, 'sixty exchanges')
})

t.test('a retryable status is read to its end and dropped when a retry follows', async (t) => {
  const r = await rig(t, { health: { outlier: { consecutive5xx: 100 } } })
  const first = r.calls[0]
  t.equal(first.headers(503, { 'content-type': 'text/plain' }), true, 'the 503 is read on')
  t.equal(r.res.status, 0, 'its head is not sent to the client')
  t.equal(r.cluster.retryBudget.retrying, 1, 'the retry was decided at the headers: its token is held')
  t.equal(first.data('busy, '), true, 'its body is read (not paused)…')
  t.equal(first.data('try later'), true, '…to its end…')
  t.same(r.res.chunks, [], '…and not forwarded')
  t.equal(r.calls.length, 1, 'the retry waits for the end of the discarded body (so its connection is reused)')
  first.complete()
  t.equal(r.calls.length, 2, 'then the retry goes out')
  t.not(r.calls[1].endpoint, 0, 'to another endpoint')
  r.calls[1].answer(200, 'fine')
  t.match(r.res, { status: 200, body: 'fine', ended: true }, 'the client got only the retry')
  t.match(counts(r, 0), { requests: 1, errors: 0, byClass: { '5xx': 1 } }, "endpoint 0's 503 is recorded once, as a 5xx response, not an error")
  t.same(
    r.policy.filter(([i]) => i === 0),
    [[0, 503, Outcome.HttpError]],
    'the policy heard of the 503 once',
  )
  budgetIsBack(t, r)
})

t.test('a discarded retryable status whose body breaks off still leads to the retry, and is not counted again', async (t) => {
  const r = await rig(t)
  r.calls[0].headers(502)
  r.calls[0].fail(codeError('ECONNRESET'))
  t.equal(r.calls.length, 2, 'retried')
  r.calls[1].answer(200, 'ok')
  t.match(r.res, { status: 200, body: 'ok' }, 'the retry answered')
  t.match(counts(r, 0), { requests: 1, errors: 0, byClass: { '5xx': 1 } }, 'the broken discarded body adds no error to the 502')
  budgetIsBack(t, r)
})

t.test('a retryable status is the answer when no retry may follow', async (t) => {
  const cases: { name: string; options: RigOptions; tries: number }[] = [
    { name: 'POST: not idempotent', options: { method: 'POST', body: Buffer.from('x') }, tries: 1 },
    { name: 'retries off', options: { retry: { maxRetries: 0 } }, tries: 1 },
    { name: 'retries used up (maxRetries 2): the third 503 goes to the client', options: {}, tries: 3 },
    { name: 'the budget says no', options: { retry: { budgetPercent: 0, budgetMinConcurrent: 0 } }, tries: 1 },
  ]
  for (const c of cases) {
    const r = await rig(t, c.options)
    for (let k = 0; k < c.tries - 1; k++) r.calls[k].answer(503, `discarded ${k}`)
    t.equal(r.calls.length, c.tries, `${c.name}: ${c.tries} tries`)
    r.calls[c.tries - 1].answer(503, 'the last word')
    t.match(r.res, { status: 503, body: 'the last word', ended: true }, `${c.name}: the 503 and its body reached the client`)
    t.equal(r.calls.length, c.tries, `${c.name}: nothing more sent`)
    budgetIsBack(t, r, c.name)
  }
})

t.test("a hedge's loser is cancelled as BATON_HEDGE_LOST and never counted against its endpoint", async (t) => {
  const hedging = { retry: { hedge: { enabled: true, delay: '5ms' } }, health: { outlier: { consecutiveGatewayErrors: 1, consecutive5xx: 1 } } }
  const cases: { name: string; winner: 'first' | 'hedge'; loserConnected: boolean }[] = [
    { name: 'the hedge answers first; the first try was on a connection', winner: 'hedge', loserConnected: true },
    { name: 'the hedge answers first; the first try still queued for a connection', winner: 'hedge', loserConnected: false },
    { name: 'the first try answers after all', winner: 'first', loserConnected: true },
  ]
  for (const c of cases) {
    const r = await rig(t, hedging)
    const first = r.calls[0]
    if (c.winner === 'hedge' && c.loserConnected) first.connect()
    await sleep(25)
    t.equal(r.calls.length, 2, `${c.name}: a hedge went out after the delay`)
    const hedge = r.calls[1]
    t.not(hedge.endpoint, first.endpoint, `${c.name}: to another endpoint`)
    t.equal(r.exchange.hedges, 1, `${c.name}: counted as a hedge…`)
    t.equal(r.exchange.retries, 0, `${c.name}: …not as a retry`)
    t.equal(r.cluster.retryBudget.retrying, 1, `${c.name}: under the retry budget`)
    if (c.winner === 'first') hedge.connect()
    const [winner, loser] = c.winner === 'hedge' ? [hedge, first] : [first, hedge]
    winner.headers(200)
    if (c.loserConnected) t.equal((loser.aborted as { code?: string } | null)?.code, 'BATON_HEDGE_LOST', `${c.name}: the loser was aborted as BATON_HEDGE_LOST`)
    else {
      t.equal(loser.aborted, null, `${c.name}: a loser without a connection cannot be aborted yet`)
      loser.connect()
      t.equal((loser.aborted as { code?: string } | null)?.code, 'BATON_HEDGE_LOST', `${c.name}: it is aborted as BATON_HEDGE_LOST when it gets one`)
    }
    winner.data('from the winner')
    winner.complete()
    t.match(r.res, { status: 200, body: 'from the winner', ended: true }, `${c.name}: the winner's answer reached the client`)
    t.match(counts(r, loser.endpoint), { errors: 0, clientAborts: 1, errorsByCode: {} }, `${c.name}: the loser counted apart, like a client abort`)
    t.same(
      r.policy.filter(([i]) => i === loser.endpoint),
      [[loser.endpoint, 0, Outcome.Timeout]],
      `${c.name}: the policy alone was told a Timeout for the loser: it waited, whatever health thinks`,
    )
    t.same(r.events.list(), [], `${c.name}: no ejection, with thresholds of 1`)
    t.equal(r.exchange.errorCode, null, `${c.name}: the exchange failed nowhere`)
    t.equal(r.exchange.endpoint, r.cluster.endpoints[winner.endpoint], `${c.name}: the exchange names the winner`)
    t.equal(r.ended.length, 1, `${c.name}: ended once, after both tries`)
    budgetIsBack(t, r, c.name)
  }
})

t.test('the tail delay (the default): a stalled first try is hedged after it, the first headers win, the policy alone learns the wait', async (t) => {
  // A 5 ms floor makes the cold delay (before 1000 responses: 4 × the floor) 20 ms of real time; the clock is manual.
  const r = await rig(t, { retry: { hedge: { tailFloor: '5ms' } }, health: { outlier: { consecutiveGatewayErrors: 1, consecutive5xx: 1 } } })
  t.equal(r.cluster.hedgeDelay.delayMs, 20, 'hedging is on by default, in the tail mode: cold delay 4 × the floor')
  const first = r.calls[0]
  first.connect() // the backend took the request and says nothing: a stall
  await sleep(5)
  t.equal(r.calls.length, 1, 'no copy before the tail delay')
  await sleep(30)
  t.equal(r.calls.length, 2, 'a hedge went out after the tail delay')
  const hedge = r.calls[1]
  t.not(hedge.endpoint, first.endpoint, 'to another endpoint')
  r.clock.advance(350) // the first try has waited 350 ms when the hedge answers
  hedge.connect()
  hedge.headers(200)
  t.equal((first.aborted as { code?: string } | null)?.code, 'BATON_HEDGE_LOST', 'the first headers won: the stalled try was cancelled')
  hedge.data('from the hedge')
  hedge.complete()
  t.match(r.res, { status: 200, body: 'from the hedge', ended: true }, "the hedge's answer reached the client")
  const firstSeen = r.policy.map((call, k) => [call, r.policyLatency[k]] as const).filter(([[i]]) => i === first.endpoint)
  t.same(firstSeen, [[[first.endpoint, 0, Outcome.Timeout], 350]], 'the policy saw the stalled try as a timeout after its 350 ms wait')
  t.match(counts(r, first.endpoint), { errors: 0, clientAborts: 1, errorsByCode: {} }, 'statistics: no error of the stalled endpoint')
  t.same(r.events.list(), [], 'health: no ejection for a hedge loser, with thresholds of 1')
  t.equal(r.exchange.hedges, 1, 'one hedge')
  t.equal(r.ended.length, 1, 'ended once')
  budgetIsBack(t, r)
})

t.test('OPTIONS without a body is hedged too', async (t) => {
  const r = await rig(t, { method: 'OPTIONS', retry: { hedge: { enabled: true, delay: '5ms' } } })
  await sleep(25)
  t.equal(r.calls.length, 2, 'hedged')
  r.calls[1].connect()
  r.calls[1].headers(204)
  r.calls[1].complete()
  t.equal(r.res.status, 204)
  r.calls[0].connect()
  await sleep(1)
  budgetIsBack(t, r)
})

t.test('a retryable status from one of a hedged pair is dropped while the other may still answer', async (t) => {
  const r = await rig(t, { retry: { hedge: { enabled: true, delay: '5ms' } } })
  await sleep(25)
  const [first, hedge] = r.calls
  t.ok(hedge !== undefined, 'hedged')
  hedge.answer(503, 'not me')
  t.equal(r.res.status, 0, "the hedge's 503 was not forwarded")
  t.equal(r.calls.length, 2, 'and not retried: the first try may still answer')
  first.answer(200, 'me')
  t.match(r.res, { status: 200, body: 'me', ended: true }, "the first try's answer reached the client")
  t.equal(r.ended.length, 1, 'ended once')
  budgetIsBack(t, r)
})

t.test('no hedge for a request with a body, and none once headers arrived', async (t) => {
  const withBody = await rig(t, { method: 'PUT', body: Buffer.from('x'), retry: { hedge: { enabled: true, delay: '5ms' } } })
  const answered = await rig(t, { retry: { hedge: { enabled: true, delay: '5ms' } } })
  answered.calls[0].headers(200)
  await sleep(25)
  t.equal(withBody.calls.length, 1, 'PUT with a body: never hedged')
  t.equal(answered.calls.length, 1, 'headers before the delay: not hedged')
  withBody.calls[0].answer(200)
  answered.calls[0].complete()
  budgetIsBack(t, withBody)
  budgetIsBack(t, answered)
})

t.test('a client fault is never counted against the endpoint and never retried', async (t) => {
  const cases: { name: string; error: Error; status: number; code: string }[] = [
    { name: 'undici refused the request (invalid header value)', error: codeError('UND_ERR_INVALID_ARG'), status: 400, code: 'BATON_INVALID_REQUEST' },
    { name: "the body broke its framing (undici's length check)", error: codeError('UND_ERR_REQ_CONTENT_LENGTH_MISMATCH'), status: 400, code: 'BATON_BAD_REQUEST_BODY' },
    { name: 'the body stream broke its framing', error: BODY_BROKEN, status: 400, code: 'BATON_BAD_REQUEST_BODY' },
    { name: 'the body outgrew the limit', error: BODY_TOO_LARGE, status: 413, code: 'BATON_BODY_TOO_LARGE' },
    { name: 'the client left mid-upload', error: codeError('UND_ERR_ABORTED'), status: 499, code: 'BATON_CLIENT_ABORT' },
  ]
  for (const c of cases) {
    // PUT with a buffered body: idempotent and replayable, so anything retryable would be retried.
    const r = await rig(t, { method: 'PUT', body: Buffer.from('payload'), health: { outlier: { consecutiveGatewayErrors: 1, consecutive5xx: 1 } } })
    r.calls[0].fail(c.error)
    t.equal(r.calls.length, 1, `${c.name}: not retried`)
    t.match(r.res, { status: c.status, errorCode: c.code, shouldKeepAlive: false }, `${c.name}: ${c.status} ${c.code}, and the client connection closes`)
    t.match(counts(r, 0), { requests: 1, errors: 0, clientAborts: 1, errorsByCode: {} }, `${c.name}: counted apart, never as the endpoint's error`)
    t.same(r.policy, [[0, 0, Outcome.ClientAbort]], `${c.name}: the policy hears a ClientAbort, which every policy ignores`)
    t.same(r.events.list(), [], `${c.name}: no ejection, with thresholds of 1`)
    t.equal(r.cluster.retryBudget.granted, 0, `${c.name}: no retry token taken`)
    budgetIsBack(t, r, c.name)
  }
})

t.test('the client leaving is never the endpoint fault and stops every try', async (t) => {
  const before = await rig(t)
  before.calls[0].connect()
  before.exchange.onClientClose()
  t.equal((before.calls[0].aborted as { code?: string } | null)?.code, 'BATON_CLIENT_ABORT', 'before the headers: the try is aborted as BATON_CLIENT_ABORT')
  t.equal(before.calls.length, 1, 'not retried')
  t.match(counts(before, 0), { errors: 0, clientAborts: 1 }, 'counted apart')
  budgetIsBack(t, before, 'left before the headers')

  const midBody = await rig(t)
  midBody.calls[0].headers(200)
  midBody.calls[0].data('part')
  midBody.exchange.onClientClose()
  t.equal((midBody.calls[0].aborted as { code?: string } | null)?.code, 'BATON_CLIENT_ABORT', 'mid-body: the upstream response is aborted')
  t.equal(midBody.res.destroyed, false, 'the gone client is not destroyed again')
  t.match(counts(midBody, 0), { requests: 1, errors: 0 }, 'no error for the endpoint')
  budgetIsBack(t, midBody, 'left mid-body')
})

t.test('retry budget tokens are all returned when the exchange ends, however it ends', async (t) => {
  const r = await rig(t, { retry: { maxRetries: 2 } })
  const second = r.another({ first: 1 })
  r.calls[0].fail(codeError('ECONNREFUSED'))
  r.calls[1].fail(codeError('ECONNREFUSED'))
  t.equal(r.calls.length, 4, 'both exchanges retried')
  t.match(r.cluster.retryBudget, { active: 2, retrying: 2 }, 'two requests in flight, each holding a token')
  // The first exchange's retry fails too (second retry, a second token); the second exchange's retry answers.
  const firstRetry = r.calls.find((c, i) => i >= 2 && c.handler === r.calls[0].handler)!
  const secondRetry = r.calls.find((c, i) => i >= 2 && c.handler === r.calls[1].handler)!
  firstRetry.fail(codeError('ECONNRESET'))
  t.match(r.cluster.retryBudget, { retrying: 3 }, "the first exchange's second retry holds a second token")
  secondRetry.answer(200)
  t.match(r.cluster.retryBudget, { active: 1, retrying: 2 }, 'the second exchange ended: its one token is back')
  t.equal(second.res.status, 200, 'it was answered')
  r.calls[r.calls.length - 1].fail(codeError('ECONNRESET'))
  t.match(r.res, { status: 502, errorCode: 'BATON_UPSTREAM_RESET' }, 'the first exchange ran out of retries: 502')
  t.equal(r.exchange.retries, 2, 'after two retries')
  budgetIsBack(t, r, 'both ended')
  t.equal(r.cluster.retryBudget.granted, 3, 'three tokens were granted in all')
})

t.test('latency runs from the end of the request body (onRequestSent) to the response headers', async (t) => {
  const cases: { name: string; method: string; body: () => Buffer | Readable | null; latencyMs: number }[] = [
    { name: 'buffered body', method: 'PUT', body: () => Buffer.from('data'), latencyMs: 40 },
    { name: 'streamed body', method: 'POST', body: () => Readable.from([Buffer.from('data')]), latencyMs: 40 },
    { name: 'no body: from the dispatch', method: 'GET', body: () => null, latencyMs: 340 },
  ]
  for (const c of cases) {
    const r = await rig(t, { method: c.method, body: c.body() })
    r.calls[0].connect()
    r.clock.advance(300) // the client uploads slowly
    r.calls[0].requestSent()
    r.clock.advance(40) // the backend thinks
    r.calls[0].answer(200)
    t.equal(r.exchange.latencyMs, c.latencyMs, `${c.name}: the exchange's latency`)
    t.equal(r.cluster.endpoints[0].stats.latency().max, c.latencyMs, `${c.name}: recorded in the endpoint's histogram`)
  }
})

t.test('response bytes stream with backpressure: a full client pauses the backend, its drain resumes it', async (t) => {
  const r = await rig(t)
  const call = r.calls[0]
  call.headers(200)
  r.res.writeReturns = false
  t.equal(call.data('a lot'), false, 'the client socket is full: undici is told to pause')
  t.equal(call.resumed, 0, 'not resumed yet')
  r.exchange.onClientDrain()
  t.equal(call.resumed, 1, "the client's drain resumes the upstream response")
  r.res.writeReturns = true
  t.equal(call.data('more'), true, 'flowing again')
  call.complete()
  t.match(r.res, { body: 'a lotmore', ended: true }, 'every byte forwarded in order')
})

t.test('the overall timeout answers 504 and cuts the waiting try, counted as a timeout', async (t) => {
  const r = await rig(t, { retry: { overallTimeout: '10ms' } })
  r.calls[0].connect()
  await sleep(30)
  t.match(r.res, { status: 504, errorCode: 'BATON_OVERALL_TIMEOUT', ended: true }, '504 BATON_OVERALL_TIMEOUT')
  t.equal((r.calls[0].aborted as { code?: string } | null)?.code, 'BATON_OVERALL_TIMEOUT', 'the waiting try was aborted')
  t.equal(r.calls.length, 1, 'not retried')
  t.match(counts(r, 0), { errors: 1, errorsByCode: { BATON_OVERALL_TIMEOUT: 1 } }, 'a timeout of the endpoint')
  budgetIsBack(t, r)
})
