import t from 'tap'
import { createServer } from 'node:http'
import { request } from 'undici'
import { DEFAULT_HEALTH, DEFAULT_RETRY } from '../../src/config/build-health.js'
import type { HedgeConfig, RetryConfig } from '../../src/config/types.js'
import { startBaton } from '../../src/index.js'
import { testConfig } from '../helpers/baton-config.js'
import { expectSettled, timed } from '../helpers/exchange-checks.js'
import { FakeBackend } from '../helpers/fake-backend.js'
import { eventually, getText, startRig } from '../helpers/harness.js'

/** Retry config with hedging on; `delayMs` fixed unless 'p95'. */
function hedging(delayMs: HedgeConfig['delayMs'], overrides: Partial<RetryConfig> = {}): RetryConfig {
  return { ...DEFAULT_RETRY, hedge: { ...DEFAULT_RETRY.hedge, enabled: true, delayMs, minDelayMs: 5 }, ...overrides }
}

const SLOW = { name: 'slow', delayMs: 2_000 }

t.test('a GET or HEAD without headers after the delay is copied to another endpoint; the first answer wins', async (t) => {
  const { url, backends, baton } = await startRig(t, [SLOW, 'fast'], { overrides: { retry: hedging(100) } })
  const [slow, fast] = backends
  for (let i = 0; i < 6; i++) {
    const [res, elapsedMs] = await timed(() => getText(`${url}/`))
    t.same([res.status, res.body], [200, 'ok from fast'], `GET ${i}`)
    t.ok(elapsedMs < 1_500, `GET ${i} in ${Math.round(elapsedMs)} ms: the hedge delay plus the fast answer, not the slow one`)
  }
  for (let i = 0; i < 2; i++) {
    const res = await request(`${url}/`, { method: 'HEAD' })
    await res.body.text()
    t.same([res.statusCode, res.headers['x-backend']], [200, 'fast'], `HEAD ${i}`)
  }
  t.ok(slow.requests >= 2, `round robin sent first tries to the slow endpoint: ${slow.requests}`)
  t.equal(fast.requests, 8, 'every request ended on the fast endpoint, first try or hedge')
  t.ok(await eventually(() => slow.closedSockets === slow.requests), 'every losing try was cancelled: its connection closed')
  const slowCounts = baton.clusters[0].endpoints[0].stats.counts()
  t.equal(slowCounts.errors, 0, 'a lost race is not an error of the slow endpoint')
  t.equal(slowCounts.clientAborts, slow.requests, '…it counts as an abandoned try')
  await expectSettled(t, baton)
})

t.test('the p95 delay: none before there is data, then the upstream p95 (floored), and the overall timeout stops both tries', async (t) => {
  const retry = hedging('p95', { overallTimeoutMs: 500 })
  const { url, backends, baton } = await startRig(t, ['a', 'b'], { overrides: { retry } })
  const hedge = baton.clusters[0].hedgeDelay
  t.equal(hedge.delayMs, -1, 'no hedging before the statistics hold enough responses')
  for (let i = 0; i < 30; i++) await getText(`${url}/`)
  t.ok(await eventually(() => hedge.delayMs >= 0, 3_000), 'the cluster tick computed the p95')
  t.ok(hedge.delayMs >= 5 && hedge.delayMs < 200, `loopback p95, floored at 5 ms: ${hedge.delayMs}`)
  const before = backends[0].requests + backends[1].requests
  const res = await getText(`${url}/hang`)
  t.same([res.status, JSON.parse(res.body).error], [504, 'BATON_OVERALL_TIMEOUT'])
  t.equal(backends[0].requests + backends[1].requests - before, 2, 'the first try and one hedge, on the two endpoints')
  const timeouts = baton.clusters[0].endpoints.map((e) => e.stats.counts().errorsByCode.BATON_OVERALL_TIMEOUT ?? 0)
  t.same(timeouts, [1, 1], 'both tries were cut by the overall timeout and count as timeouts')
  await expectSettled(t, baton)
})

t.test('requests with a body or another method are never hedged', async (t) => {
  const { url, backends, baton } = await startRig(t, [{ name: 'slow', delayMs: 500 }, 'fast'], { overrides: { retry: hedging(20) } })
  const bodies: string[] = []
  for (const method of ['POST', 'PUT', 'DELETE'] as const) {
    for (let i = 0; i < 2; i++) {
      const res = await request(`${url}/`, { method, body: method === 'DELETE' ? undefined : 'x' })
      bodies.push(await res.body.text())
    }
  }
  t.equal(bodies.filter((b) => b === 'ok from slow').length, 3, 'the slow endpoint answered its share itself')
  t.equal(backends[0].requests + backends[1].requests, 6, 'one try each')
  await expectSettled(t, baton)
})

t.test('hedges come out of the retry budget: with none, no hedge', async (t) => {
  const retry = hedging(20, { budgetFraction: 0, budgetMinConcurrent: 0 })
  const { url, backends, baton } = await startRig(t, [{ name: 'slow', delayMs: 300 }, 'fast'], { overrides: { retry } })
  const bodies: string[] = []
  for (let i = 0; i < 4; i++) bodies.push((await getText(`${url}/`)).body)
  t.equal(backends[0].requests + backends[1].requests, 4, 'no copies')
  t.equal(bodies.filter((b) => b === 'ok from slow').length, backends[0].requests, 'the slow endpoint answered every request it got')
  t.equal(baton.clusters[0].retryBudget.granted, 0, 'the budget granted no hedge (a hedge not sent is not counted as a refused retry)')
  await expectSettled(t, baton)
})

t.test('a client leaving mid-race cancels both tries without counting against either endpoint', async (t) => {
  const { url, backends, baton } = await startRig(t, ['a', 'b'], { overrides: { retry: hedging(30) } })
  const controller = new AbortController()
  const pending = request(`${url}/hang`, { signal: controller.signal })
  t.ok(await eventually(() => backends[0].requests + backends[1].requests === 2), 'first try and hedge reached the backends')
  controller.abort()
  await t.rejects(pending)
  t.ok(await eventually(() => backends[0].closedSockets + backends[1].closedSockets === 2), 'both upstream connections closed')
  t.same(baton.clusters[0].endpoints.map((e) => e.stats.counts().errors), [0, 0], 'no endpoint errors')
  await expectSettled(t, baton)
})

t.test('under concurrent load every request is answered and every counter returns to 0', async (t) => {
  const retry = hedging(20, { overallTimeoutMs: 1_000 })
  const { url, backends, baton } = await startRig(t, [{ name: 'slow', delayMs: 300 }, 'fast', 'fast2'], { overrides: { retry } })
  const results = await Promise.all(Array.from({ length: 40 }, (_, i) => getText(`${url}/${i % 4 === 0 ? 'hang' : ''}`)))
  const ok = results.filter((r) => r.status === 200).length
  const hung = results.filter((r) => r.status === 504).length
  t.equal(ok, 30, 'every request to the default path answered 200')
  t.equal(hung, 10, 'every /hang got the overall timeout, its hedge hung too')
  t.ok(backends.reduce((n, b) => n + b.requests, 0) > 40, 'some requests were hedged')
  await expectSettled(t, baton)
})

t.test('a hedge that fails does not end the race: the first try still answers', async (t) => {
  const health = { ...DEFAULT_HEALTH, outlier: { ...DEFAULT_HEALTH.outlier, enabled: false } } // keep refusing, not ejected
  const { url, backends, baton } = await startRig(t, [{ name: 'slow', delayMs: 300 }, 'gone'], { overrides: { retry: hedging(30), health } })
  await backends[1].stop() // refuses: a first try there is retried on slow, a hedge there fails at once
  for (let i = 0; i < 4; i++) {
    const res = await getText(`${url}/`)
    t.same([res.status, res.body], [200, 'ok from slow'], `GET ${i}`)
  }
  t.equal(backends[0].requests, 4, 'one try each on slow')
  t.ok(baton.clusters[0].endpoints[1].stats.counts().errors >= 4, 'each request met the refusing endpoint: first try (then retried) or hedge')
  await expectSettled(t, baton)
})

t.test('a hedge answering a retryable status is dropped while the first try may still answer', async (t) => {
  const slow = await new FakeBackend('slow', 300).start()
  let unavailableRequests = 0
  const unavailable = createServer((req, res) => {
    unavailableRequests++
    req.resume()
    res.writeHead(503).end('busy')
  })
  await new Promise<void>((resolve) => unavailable.listen(0, '127.0.0.1', resolve))
  const address = unavailable.address()
  const unavailableUrl = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`
  // Round robin over two: every first try goes to slow and every hedge to the 503. No retries, so a 503 that
  // ended the race would reach the client.
  const retry = hedging(30, { maxRetries: 0 })
  const baton = await startBaton(testConfig([{ endpoints: [slow.url, unavailableUrl], overrides: { retry } }]))
  t.teardown(async () => {
    await baton.close()
    await slow.stop()
    unavailable.closeAllConnections()
    await new Promise((r) => unavailable.close(r))
  })
  for (let i = 0; i < 3; i++) {
    const res = await getText(`${baton.listenerUrls[0]}/`)
    t.same([res.status, res.body], [200, 'ok from slow'], `GET ${i}`)
  }
  t.equal(unavailableRequests, 3, 'each request was hedged to the 503')
  await expectSettled(t, baton)
})
