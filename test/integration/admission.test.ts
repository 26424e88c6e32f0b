import t from 'tap'
import { request } from 'undici'
import { DEFAULT_OVERLOAD } from '../../src/config/build-admission.js'
import { defaultListener } from '../../src/config/build.js'
import { DEFAULT_RETRY } from '../../src/config/build-health.js'
import type { OverloadConfig } from '../../src/config/types.js'
import { expectSettled } from '../helpers/exchange-checks.js'
import { eventually, getText, startRig } from '../helpers/harness.js'

/** Hedging off: a hedge would be a second try on the one connection these tests count. */
const retry = { ...DEFAULT_RETRY, hedge: { ...DEFAULT_RETRY.hedge, enabled: false } }

t.test('a pool of 2 connections and 12 parallel requests: 2 served, the rest shed at the queue deadline, not queued for seconds', async (t) => {
  const { url, backends, baton } = await startRig(t, ['a'], { overrides: { poolConnections: 2, retry } })
  const started = performance.now()
  const results = await Promise.all(Array.from({ length: 12 }, () => getText(`${url}/slow/400`)))
  const elapsedMs = performance.now() - started
  const ok = results.filter((r) => r.status === 200)
  const shed = results.filter((r) => r.status === 503)
  t.equal(ok.length, 2, 'the two that had a connection')
  t.equal(shed.length, 10)
  t.same(new Set(shed.map((r) => JSON.parse(r.body).error)), new Set(['BATON_QUEUE_TIMEOUT']), 'a stable code')
  t.ok(shed.every((r) => r.headers['retry-after'] === '1'), 'with Retry-After: 1')
  t.ok(elapsedMs < 2_000, `all answered after about one service time (${Math.round(elapsedMs)} ms; 6 × 400 ms queued in the pool before)`)
  t.equal(backends[0].requests, 2, 'the shed ones never reached the backend')
  const admission = baton.clusters[0].admission.describe()
  t.equal(admission.shed.normal['queue-timeout'], 10)
  t.equal(admission.cap, 2, 'the cap is the connections the pool may open')
  await expectSettled(t, baton)
})

t.test('maxRequests: the request over it is answered 503 at once with its own code, and the breaker opens', async (t) => {
  const overload: OverloadConfig = { ...DEFAULT_OVERLOAD, breakers: { ...DEFAULT_OVERLOAD.breakers, maxRequests: 1 } }
  const { url, baton } = await startRig(t, ['a'], { overrides: { overload, retry } })
  const slow = getText(`${url}/slow/300`)
  t.ok(await eventually(() => baton.clusters[0].admission.inflight === 1))
  const refused = await getText(`${url}/echo`)
  t.equal(refused.status, 503)
  t.equal(JSON.parse(refused.body).error, 'BATON_BREAKER_MAX_REQUESTS')
  t.equal((await slow).status, 200)
  baton.clusters[0].tick(performance.now())
  t.equal(baton.clusters[0].admission.describe().breakers.maxRequests.open, true)
  const events = (await getText(`${baton.adminUrl}/api/events`)).body
  t.match(events, /breaker-open/, 'an event')
  const upstreams = JSON.parse((await getText(`${baton.adminUrl}/api/upstreams`)).body)
  t.match(upstreams[0].admission, { breakers: { maxRequests: { threshold: 1, open: true, overflows: 1, trips: 1 } }, shed: { normal: { 'max-requests': 1 } } })
  const metrics = (await getText(`${baton.adminUrl}/metrics`)).body
  t.match(metrics, /baton_admission_shed_total\{upstream="up0",class="normal",reason="max-requests"\} 1/)
  t.match(metrics, /baton_breaker_open\{upstream="up0",breaker="maxRequests"\} 1/)
  await expectSettled(t, baton)
})

t.test('x-baton-priority is honoured from a trusted proxy only', async (t) => {
  for (const trusted of [true, false]) {
    const listener = defaultListener({ name: 'main', port: 0, trustedProxies: trusted ? ['127.0.0.1'] : [] })
    const { url, baton } = await startRig(t, ['a'], {}, { listeners: [listener] })
    t.equal((await getText(`${url}/echo`, { 'x-baton-priority': 'high' })).status, 200)
    t.equal((await getText(`${url}/echo`, { 'x-baton-priority': 'nonsense' })).status, 200)
    const admitted = baton.clusters[0].admission.describe().admitted
    t.same(admitted, trusted ? { high: 1, normal: 1, low: 0 } : { high: 0, normal: 2, low: 0 }, trusted ? 'trusted: high (an unknown value keeps the route\'s class)' : 'untrusted: the claim is ignored')
  }
})

t.test('a queued request whose client leaves is withdrawn: never sent, counters back to zero', async (t) => {
  const { url, backends, baton } = await startRig(t, ['a'], { overrides: { poolConnections: 1, retry, overload: { ...DEFAULT_OVERLOAD, queue: { ...DEFAULT_OVERLOAD.queue, timeoutMs: 10_000 } } } })
  const first = getText(`${url}/slow/500`)
  t.ok(await eventually(() => baton.clusters[0].admission.inflight === 1))
  const controller = new AbortController()
  const queued = request(`${url}/echo`, { signal: controller.signal }).catch((err: Error) => err)
  t.ok(await eventually(() => baton.clusters[0].admission.queued === 1), 'the second waits for the one connection')
  controller.abort()
  t.ok(await eventually(() => baton.clusters[0].admission.queued === 0), 'out of the queue when its client left')
  t.ok((await queued) instanceof Error)
  t.equal((await first).status, 200)
  t.equal(baton.clusters[0].admission.describe().abandoned, 1)
  t.equal(backends[0].requests, 1, 'the withdrawn request never reached the backend')
  await expectSettled(t, baton)
})

t.test('a queued request goes on when a permit frees, body, Expect and all', async (t) => {
  const { url, baton } = await startRig(t, ['a'], { overrides: { poolConnections: 1, retry } })
  const first = getText(`${url}/slow/50`)
  t.ok(await eventually(() => baton.clusters[0].admission.inflight === 1))
  const res = await request(`${url}/echo`, { method: 'POST', body: 'hello', headers: { 'content-type': 'text/plain' } })
  const echoed = (await res.body.json()) as { bodyBytes: number; method: string }
  t.same([res.statusCode, echoed.method, echoed.bodyBytes], [200, 'POST', 5])
  t.equal((await first).status, 200)
  t.ok(baton.clusters[0].admission.describe().admitted.normal === 2)
  await expectSettled(t, baton)
})
