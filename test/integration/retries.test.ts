import t from 'tap'
import { request } from 'undici'
import { catchAllRoute } from '../../src/config/build.js'
import { DEFAULT_RETRY } from '../../src/config/build-health.js'
import { getText, startRig } from '../helpers/harness.js'
import { healthConfig } from '../helpers/healing-rig.js'

t.test('requests to a refusing endpoint are retried on another one: no client sees the failure', async (t) => {
  const { url, backends } = await startRig(t, ['a', 'b'], { overrides: { responseHeadersTimeoutMs: 300 } })
  await backends[0].stop() // a refuses from now on
  for (let i = 0; i < 10; i++) {
    const res = await getText(`${url}/`)
    t.equal(res.status, 200, `request ${i} answered`)
    t.equal(res.body, 'ok from b')
  }
})

t.test('5xx, reset and timeout are retried for GET up to maxRetries, alternating endpoints', async (t) => {
  // Outlier detection off: every try fails here, and an endpoint ejected for its gateway errors would leave the
  // retries nowhere to go (a retry never goes back to the endpoint that just failed). Hedging off: a hang
  // would also be hedged, and the count here is of retries.
  const health = healthConfig({ outlier: { enabled: false } })
  const retry = { ...DEFAULT_RETRY, hedge: { ...DEFAULT_RETRY.hedge, enabled: false } }
  const { url, backends } = await startRig(t, ['a', 'b'], { overrides: { responseHeadersTimeoutMs: 300, health, retry } })
  const cases = ['/status/503', '/reset', '/hang']
  for (const path of cases) {
    const before = backends[0].requests + backends[1].requests
    const res = await getText(url + path)
    // Both backends behave alike on these paths, so every try fails: the client gets the last failure.
    t.ok(res.status >= 500, `${path} fails on every endpoint: ${res.status}`)
    t.equal(backends[0].requests + backends[1].requests - before, 1 + DEFAULT_RETRY.maxRetries, `${path}: first try and ${DEFAULT_RETRY.maxRetries} retries (${backends[0].requests + backends[1].requests - before})`)
  }
})

t.test('with two of three endpoints refusing, the second retry goes to the third, never back to the first', async (t) => {
  // Random picks and no outlier detection: the refusing endpoints keep getting first tries, so every request
  // that starts on one needs its retries to find the third (maxRetries 2 by default); avoiding only the last
  // failure, a quarter of those went back to the first and answered 502.
  const health = healthConfig({ outlier: { enabled: false } })
  const { url, backends } = await startRig(t, ['a', 'b', 'c'], { policy: { name: 'random' }, overrides: { health } })
  await backends[0].stop()
  await backends[1].stop()
  const answers: string[] = []
  for (let i = 0; i < 30; i++) answers.push(`${(await getText(`${url}/`)).status}`)
  t.same(answers, Array.from({ length: 30 }, () => '200'), 'every request answered by c')
})

t.test('POST is not retried after it reached a backend, but is after a refused connection', async (t) => {
  const { url, backends } = await startRig(t, ['a', 'b'])
  const posted = await request(`${url}/status/503`, { method: 'POST', body: 'x' })
  await posted.body.text()
  t.equal(posted.statusCode, 503)
  t.equal(backends[0].requests + backends[1].requests, 1, 'a POST that got a 503 is not sent again')
  await backends[0].stop()
  for (let i = 0; i < 4; i++) {
    const res = await request(`${url}/echo`, { method: 'POST', body: 'hello' })
    const echo = (await res.body.json()) as { name: string; bodyBytes: number }
    t.same([res.statusCode, echo.name, echo.bodyBytes], [200, 'b', 5], `POST ${i} replayed to b with its body`)
  }
})

t.test('a route may opt in to retrying non-idempotent methods; other routes of the upstream keep the upstream rule', async (t) => {
  const routes = [
    { name: 'opted-in', host: 'retry.test', pathPrefix: '/', upstream: 'api', retryNonIdempotent: true, maxBodyBytes: null, allowTrace: false, rateLimit: null },
    catchAllRoute('rest', 'api'),
  ]
  const { url, backends } = await startRig(t, ['a', 'b'], { name: 'api' }, { routes })
  const sent = () => backends[0].requests + backends[1].requests
  const tries = async (host: string): Promise<number> => {
    const before = sent()
    const res = await request(`${url}/status/503`, { method: 'POST', body: 'x', headers: { host } })
    await res.body.text()
    t.equal(res.statusCode, 503, `${host}: every try failed`)
    return sent() - before
  }
  t.equal(await tries('retry.test'), 1 + DEFAULT_RETRY.maxRetries, 'the opted-in route retried the POST')
  t.equal(await tries('other.test'), 1, 'the catch-all route did not')
})

t.test('a body larger than the replay buffer streams once and is not retried', async (t) => {
  const { url, backends } = await startRig(t, ['a', 'b'], { overrides: { retry: { ...DEFAULT_RETRY, replayBufferBytes: 1024 } } })
  await backends[0].stop()
  const statuses: number[] = []
  for (let i = 0; i < 6; i++) {
    const res = await request(`${url}/echo`, { method: 'PUT', body: Buffer.alloc(4096, 1) })
    await res.body.text()
    statuses.push(res.statusCode)
  }
  t.ok(statuses.includes(502), 'some PUTs hit the refusing backend and were not replayed')
  t.ok(statuses.includes(200), 'the others went through')
})

t.test('the retry budget caps concurrent retries', async (t) => {
  const retry = { ...DEFAULT_RETRY, maxRetries: 3, budgetFraction: 0, budgetMinConcurrent: 1 }
  const { url, backends, baton } = await startRig(t, ['a', 'b', 'c'], { overrides: { retry } })
  const requests = Array.from({ length: 20 }, () => getText(`${url}/status/503`))
  await Promise.all(requests)
  const total = backends.reduce((s, b) => s + b.requests, 0)
  t.ok(total < 20 * 3, `retries were capped: ${total} backend requests for 20 client requests`)
  t.ok(baton.clusters[0].retryBudget.refused > 0, 'the budget refused some retries')
  t.equal(baton.clusters[0].retryBudget.retrying, 0, 'every token returned')
  t.equal(baton.clusters[0].retryBudget.active, 0, 'no request left active')
})
