import t, { type Test } from 'tap'
import { startBaton } from '../../src/index.js'
import { testConfig } from '../helpers/baton-config.js'
import { getText } from '../helpers/harness.js'
import { startScripted, type ScriptedBackend } from '../helpers/scripted-backend.js'

// A backend's 503 with Retry-After through the real proxy: that endpoint gets no retry and no traffic until
// the time it asked for, while the other endpoint serves; the answer itself reaches the client when it is the last.

async function rig(t: Test, names: string[]) {
  const backends = await startScripted(...names)
  const baton = await startBaton(testConfig([{ name: 'api', endpoints: backends.map((b) => b.url) }]))
  t.teardown(async () => {
    await baton.close()
    await Promise.all(backends.map((b) => b.stop()))
  })
  return { baton, backends, url: baton.listenerUrls[0] }
}

function asksForPause(b: ScriptedBackend, seconds: string): void {
  b.mode = 'status'
  b.status = 503
  b.retryAfter = seconds
}

t.test('503 Retry-After: 2 → no retry to that endpoint and no traffic for 2 s while the other serves', async (t) => {
  const { baton, backends, url } = await rig(t, ['a', 'b'])
  const [a, b] = backends
  asksForPause(a, '2')
  let sentAt = 0
  for (let i = 0; i < 3 && a.traffic === 0; i++) {
    sentAt = Date.now()
    const res = await getText(`${url}/`)
    t.equal(res.status, 200, 'the 503 was retried on b: the client never sees it')
  }
  t.equal(a.traffic, 1, 'a answered one request with its 503')
  t.ok(baton.clusters[0].holds.remainingMs(0, performance.now()) > 0, 'a is held')
  a.mode = 'ok' // a would serve now, but asked not to be bothered for 2 s
  const deadline = sentAt + 1_500
  let served = 0
  let elsewhere = 0
  while (Date.now() < deadline) {
    const res = await getText(`${url}/`)
    if (res.body !== 'ok from b') elsewhere++
    served++
  }
  t.equal(elsewhere, 0, 'held: every request went to b')
  t.equal(a.traffic, 1, `no traffic to a during its hold (${served} requests served by b)`)
  const bBefore = b.traffic
  let returnedAt = 0
  const limit = Date.now() + 5_000
  while (Date.now() < limit && returnedAt === 0) {
    await getText(`${url}/`)
    if (a.traffic > 1) returnedAt = Date.now()
  }
  t.ok(returnedAt > 0, 'a gets traffic again once the hold is over')
  t.ok(returnedAt - sentAt >= 2_000, `not before the 2 s it asked for (${returnedAt - sentAt} ms after the request it refused)`)
  t.ok(b.traffic > bBefore)
  t.equal(baton.clusters[0].holds.total, 1)
})

t.test('the last try\'s 503 with Retry-After reaches the client as is; no retry to the held endpoint', async (t) => {
  const { backends, url } = await rig(t, ['a'])
  asksForPause(backends[0], '2')
  const res = await getText(`${url}/`)
  t.equal(res.status, 503)
  t.equal(res.headers['retry-after'], '2', 'the backend\'s Retry-After passes through')
  t.equal(res.body, 'status 503 from a')
  t.equal(backends[0].traffic, 1, 'not retried')
})
