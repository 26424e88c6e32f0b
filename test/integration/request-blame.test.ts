import t from 'tap'
import { request } from 'undici'
import { defaultListener } from '../../src/config/build.js'
import { exchange } from '../conformance/raw-exchange.js'
import { parseSegments } from '../conformance/segments.js'
import { startRig } from '../helpers/harness.js'
import { healthConfig } from '../helpers/healing-rig.js'

/**
 * A failure the request caused is never the backend's (docs/ARCHITECTURE.md, "Whose fault"): crafted requests
 * must not eject a healthy backend, and what the client does (a slow upload, a 4xx) must not teach the model.
 */

const RAW = { head: false, endAfterSend: false, responses: 1, lingerMs: 50, waitForClose: false, deadlineMs: 3_000 }

t.test('a dozen requests with two Host headers get 400 and eject nothing', async (t) => {
  // consecutive5xx 2: before the fix two such requests (each a 502 blamed on the endpoint) ejected it.
  const rig = await startRig(t, ['a', 'b'], { overrides: { health: healthConfig({ outlier: { consecutive5xx: 2, consecutiveGatewayErrors: 2 } }) } })
  const port = Number(new URL(rig.url).port)
  for (let i = 0; i < 12; i++) {
    const got = await exchange(port, parseSegments('GET /echo HTTP/1.1\r\nHost: a.test\r\nHost: b.test\r\n\r\n', 'dup'), RAW)
    t.match(got.text, /^HTTP\/1\.1 400 /, `request ${i}: 400`)
  }
  t.equal(rig.backends[0].requests + rig.backends[1].requests, 0, 'nothing reached a backend')
  const cluster = rig.baton.clusters[0]
  for (const e of cluster.endpoints) t.equal(e.stats.snapshot(0).errors, 0, `${e.id}: no error counted`)
  t.same(rig.baton.events.list().filter((e) => e.kind === 'ejected'), [], 'no ejection')
  const after = await Promise.all([0, 1, 2, 3].map(() => request(`${rig.url}/`).then(async (r) => (await r.body.text(), r.statusCode))))
  t.same(after, [200, 200, 200, 200])
  t.ok(rig.backends.every((b) => b.requests > 0), 'both backends still get traffic')
})

t.test('a slow uploader does not make a backend look slow: latency runs from the end of the body', async (t) => {
  const rig = await startRig(t, ['a'])
  const port = Number(new URL(rig.url).port)
  // A chunked body (streamed) and a small Content-Length body (buffered for retries), each sent over ~600 ms.
  const streamed = parseSegments(['POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n', { drip: '5\r\nhello\r\n', bytes: 10, everyMs: 100 }, { drip: '5\r\nhello\r\n', bytes: 10, everyMs: 100 }, { pause: 400 }, '0\r\n\r\n'], 'chunked')
  const buffered = parseSegments(['POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n', { drip: 'helloworld', bytes: 2, everyMs: 120 }], 'cl')
  for (const segments of [streamed, buffered]) {
    const got = await exchange(port, segments, RAW)
    t.match(got.text, /^HTTP\/1\.1 200 /, 'answered')
    t.ok(got.elapsedMs >= 500, `the client took ${got.elapsedMs} ms`)
  }
  const latency = rig.baton.clusters[0].endpoints[0].stats.snapshot(0).latencyMs
  t.ok(latency.max < 200, `the backend's recorded latency stays small (max ${latency.max} ms)`)
})

t.test('4xx answers are the client\'s: no error, no ejection, however many', async (t) => {
  const rig = await startRig(t, ['a', 'b'], { overrides: { health: healthConfig({ outlier: { consecutive5xx: 2 } }) } })
  for (let i = 0; i < 20; i++) {
    const res = await request(`${rig.url}/status/404`)
    await res.body.text()
    t.equal(res.statusCode, 404)
  }
  const cluster = rig.baton.clusters[0]
  for (const e of cluster.endpoints) t.equal(e.stats.snapshot(0).errors, 0, `${e.id}: 4xx are not errors`)
  t.same(rig.baton.events.list().filter((e) => e.kind === 'ejected'), [], 'no ejection')
})

t.test('requests refused at the edge never count: loops, bad targets, too many headers', async (t) => {
  const rig = await startRig(t, ['a'], {}, { listeners: [defaultListener({ name: 'main', port: 0, maxHeadersCount: 5 })] })
  const port = Number(new URL(rig.url).port)
  const cases: [string, RegExp][] = [
    ['GET / HTTP/1.1\r\nHost: a\r\nVia: 1.1 baton\r\n\r\n', /^HTTP\/1\.1 508 /],
    ['GET /../x HTTP/1.1\r\nHost: a\r\n\r\n', /^HTTP\/1\.1 400 /],
    ['GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 1\r\nC: 1\r\nD: 1\r\nE: 1\r\n\r\n', /^HTTP\/1\.1 431 /],
  ]
  for (const [bytes, status] of cases) t.match((await exchange(port, parseSegments(bytes, 'edge'), RAW)).text, status, JSON.stringify(bytes.split('\r\n')[0]))
  t.equal(rig.backends[0].requests, 0, 'nothing forwarded')
  t.equal(rig.baton.clusters[0].endpoints[0].stats.snapshot(0).requests, 0, 'nothing recorded for the endpoint')
})
