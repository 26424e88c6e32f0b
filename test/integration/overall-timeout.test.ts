import t from 'tap'
import { request } from 'undici'
import { DEFAULT_RETRY } from '../../src/config/build-health.js'
import { DEFAULT_OVERLOAD } from '../../src/config/build-admission.js'
import type { RetryConfig } from '../../src/config/types.js'
import { expectSettled, timed } from '../helpers/exchange-checks.js'
import { getText, startRig } from '../helpers/harness.js'

/** Hedging off: the overall timeout is what these tests watch cut the tries. */
const retry = (overrides: Partial<RetryConfig>): RetryConfig => ({ ...DEFAULT_RETRY, hedge: { ...DEFAULT_RETRY.hedge, enabled: false }, ...overrides })

t.test('the overall timeout answers 504 while retries are left, and no try follows', async (t) => {
  // 300 ms per try: without the overall timeout 1 + 10 tries would take 3.3 s; with it, tries start at
  // 0, 300, 600, 900 and 1200 ms and the 1.5 s deadline ends the fifth.
  const config = retry({ maxRetries: 10, budgetMinConcurrent: 10, perTryTimeoutMs: 300, overallTimeoutMs: 1_500 })
  const { url, backends, baton } = await startRig(t, ['a', 'b', 'c'], { overrides: { retry: config } })
  const [res, elapsedMs] = await timed(() => getText(`${url}/hang`))
  t.equal(res.status, 504)
  t.equal(JSON.parse(res.body).error, 'BATON_OVERALL_TIMEOUT')
  t.ok(elapsedMs >= 1_450 && elapsedMs < 4_000, `answered after about the overall timeout: ${Math.round(elapsedMs)} ms`)
  const tries = backends.reduce((n, b) => n + b.requests, 0)
  t.ok(tries >= 3 && tries <= 6, `per-try timeouts retried meanwhile: ${tries} tries`)
  await new Promise((r) => setTimeout(r, 700))
  t.equal(backends.reduce((n, b) => n + b.requests, 0), tries, 'no try after the 504')
  const codes = baton.clusters[0].endpoints.map((e) => e.stats.counts().errorsByCode)
  t.equal(codes.reduce((n, c) => n + (c.BATON_OVERALL_TIMEOUT ?? 0), 0), 1, 'the cut try counts as a timeout of its endpoint')
  t.ok(codes.reduce((n, c) => n + (c.BATON_UPSTREAM_TIMEOUT ?? 0), 0) >= 1, 'the tries before it timed out on their own')
  await expectSettled(t, baton)
})

t.test('any method: a POST gets the 504 too, tried once', async (t) => {
  const { url, backends, baton } = await startRig(t, ['a', 'b'], { overrides: { retry: retry({ overallTimeoutMs: 300 }) } })
  const [res, elapsedMs] = await timed(async () => {
    const r = await request(`${url}/hang`, { method: 'POST', body: 'x' })
    return { status: r.statusCode, body: (await r.body.json()) as { error: string } }
  })
  t.same([res.status, res.body.error], [504, 'BATON_OVERALL_TIMEOUT'])
  t.ok(elapsedMs >= 250 && elapsedMs < 2_000, `after ${Math.round(elapsedMs)} ms`)
  t.equal(backends[0].requests + backends[1].requests, 1)
  await expectSettled(t, baton)
})

t.test('it counts to the response headers: a body still streaming after it is not cut', async (t) => {
  const { url, baton } = await startRig(t, ['a'], { overrides: { retry: retry({ overallTimeoutMs: 300 }) } })
  const total = 16 * 1024 * 1024
  const res = await request(`${url}/download/${total}`)
  t.equal(res.statusCode, 200)
  let received = 0
  let paused = false
  for await (const chunk of res.body) {
    received += (chunk as Buffer).length
    if (!paused) {
      paused = true
      await new Promise((r) => setTimeout(r, 600)) // past the overall timeout, with the response under backpressure
    }
  }
  t.equal(received, total, 'the whole body arrived')
  const fast = await getText(`${url}/slow/50`)
  t.same([fast.status, fast.body], [200, 'slow 50'], 'a response inside the timeout is untouched')
  t.equal(baton.clusters[0].endpoints[0].stats.counts().errors, 0)
  await expectSettled(t, baton)
})

t.test('a try still queued for a pool connection is answered at the timeout too, and never sent', async (t) => {
  // The one pool connection is held by a download the client reads slowly (the overall timeout counts to the
  // headers, so it is not cut); a second request queues behind it. Two hanging requests would race: the first
  // one's cut frees the connection, and the queued try could be written before its own timer fires.
  // The adaptive limit off: with it, the second request would wait in admission's bounded queue, not the pool's.
  const overload = { ...DEFAULT_OVERLOAD, concurrency: null }
  const { url, backends, baton } = await startRig(t, ['a'], { overrides: { poolConnections: 1, retry: retry({ overallTimeoutMs: 300 }), overload } })
  const download = await request(`${url}/download/${16 * 1024 * 1024}`)
  t.equal(download.statusCode, 200)
  const [queued, elapsedMs] = await timed(() => getText(`${url}/hang`))
  t.equal(JSON.parse(queued.body).error, 'BATON_OVERALL_TIMEOUT')
  t.ok(elapsedMs < 2_000, `answered after about 300 ms: ${Math.round(elapsedMs)} ms`)
  let received = 0
  for await (const chunk of download.body) received += (chunk as Buffer).length
  t.equal(received, 16 * 1024 * 1024, 'the download holding the connection finished whole')
  await expectSettled(t, baton)
  t.equal(backends[0].requests, 1, 'the queued try was cancelled before it was written')
})
