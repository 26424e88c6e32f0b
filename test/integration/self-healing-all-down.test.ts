import t from 'tap'
import { eventually } from '../helpers/harness.js'
import {
  adminJson,
  adminText,
  burst,
  captureLogger,
  countBy,
  healthConfig,
  startHealingRig,
  waitForEvent,
  type EventsJson,
  type UpstreamsJson,
} from '../helpers/healing-rig.js'
import { ScriptedBackend, startScripted } from '../helpers/scripted-backend.js'

// Fault 6 of issue 4: every endpoint refuses. Requests fail fast (a refused connect takes microseconds,
// far below the 5 s connect and 10 s header timeouts set here), endpoints are ejected one by one, and
// once fewer than half are available the upstream enters panic mode: it balances across all of them again.
// When the backends come back, the ejections end and panic ends.

t.test('all endpoints down: fast 502/503, panic-on in the log, /api/events and /metrics; then recovery', async (t) => {
  const backends = await startScripted('a', 'b', 'c')
  const { logger, lines } = captureLogger('info')
  const rig = await startHealingRig(
    t,
    backends,
    {
      overrides: {
        connectTimeoutMs: 5_000,
        responseHeadersTimeoutMs: 10_000,
        health: healthConfig({
          outlier: { consecutiveGatewayErrors: 2, baseEjectionTime: '1s', maxEjectionPercent: 100 },
          slowStart: { window: '0ms' },
        }),
      },
    },
    { logger },
  )
  const ports = backends.map((b) => b.port)
  await Promise.all(backends.map((b) => b.stop()))

  const results = await burst(`${rig.url}/`, 30, 3)
  const slowest = Math.max(...results.map((s) => s.tookMs))
  const codes = countBy(results, (s) => `${s.status} ${s.code}`)
  t.ok(
    results.every((s) => (s.status === 502 && s.code === 'BATON_UPSTREAM_CONNECT') || (s.status === 503 && s.code === 'BATON_NO_ENDPOINT')),
    `every request failed with a proxy error: ${JSON.stringify(codes)}`,
  )
  // Against 5 s connect / 10 s header timeouts: a request that waited for one would take ≥ 5 s.
  t.ok(slowest < 2_500, `they failed fast, none waited for a timeout: slowest ${slowest} ms`)

  const panicOn = await waitForEvent(rig.baton, (e) => e.kind === 'panic-on', 2_000)
  t.match(panicOn, { upstream: 'up0', endpoint: '', data: { threshold: 0.5, known: 3 } }, 'panic-on recorded')
  t.ok(Number(panicOn?.data.available) < 1.5, `fewer than half available (${panicOn?.data.available} of 3)`)

  const events = await adminJson<EventsJson>(rig, '/api/events')
  t.ok(events.events.some((e) => e.kind === 'panic-on'), 'panic-on in /api/events')
  t.ok(events.events.filter((e) => e.kind === 'ejected').length >= 2, 'at least two endpoints ejected before panic')
  const logged = lines().find((l) => l.msg === 'health: panic-on')
  t.match(logged, { level: 40, upstream: 'up0', kind: 'panic-on' }, 'panic-on logged as a warning')

  const [upstream] = await adminJson<UpstreamsJson[]>(rig, '/api/upstreams')
  t.equal(upstream.health.panic, true, '/api/upstreams says panic')
  t.ok(upstream.endpoints.every((e) => e.health.routed), 'in panic every endpoint is routed again, ejected or not')
  t.match(await adminText(rig, '/metrics'), /baton_upstream_panic\{upstream="up0"\} 1/, 'baton_upstream_panic is 1')

  // Recovery: the backends listen again on their ports; ejections end after 1 s, panic ends.
  const revived = await Promise.all(backends.map((b, i) => new ScriptedBackend(b.name).start(ports[i])))
  t.teardown(() => Promise.all(revived.map((b) => b.stop())))
  const panicOff = await waitForEvent(rig.baton, (e) => e.kind === 'panic-off', 10_000)
  t.ok(panicOff, 'panic-off recorded')
  t.ok(await eventually(() => rig.baton.clusters[0].health.stats().ejected === 0, 10_000), 'every ejection ended')
  const after = await burst(`${rig.url}/`, 9)
  t.same(countBy(after, (s) => s.status), { 200: 9 }, 'traffic flows again')
  t.match(await adminText(rig, '/metrics'), /baton_upstream_panic\{upstream="up0"\} 0/, 'baton_upstream_panic is back to 0')
  t.ok(
    lines().some((l) => l.msg === 'health: panic-off' && l.level === 30),
    'panic-off logged at info',
  )
})

t.test('all endpoints ejected with panic off (panicThreshold 0): 503 BATON_NO_ENDPOINT without touching a backend', async (t) => {
  const backends = await startScripted('a', 'b', 'c')
  const rig = await startHealingRig(t, backends, {
    overrides: {
      connectTimeoutMs: 5_000,
      responseHeadersTimeoutMs: 10_000,
      health: healthConfig({ outlier: { consecutiveGatewayErrors: 2, baseEjectionTime: '60s', maxEjectionPercent: 100 }, panicThreshold: 0 }),
    },
  })
  const ports = backends.map((b) => b.port)
  await Promise.all(backends.map((b) => b.stop()))
  await burst(`${rig.url}/`, 12)
  t.equal(rig.baton.clusters[0].health.stats().ejected, 3, 'all three ejected')
  t.notOk(rig.baton.events.list().some((e) => e.kind === 'panic-on'), 'no panic with panicThreshold 0')

  // Listeners back on the old ports would count any attempt: there must be none while everything is ejected.
  const revived = await Promise.all(backends.map((b, i) => new ScriptedBackend(b.name).start(ports[i])))
  t.teardown(() => Promise.all(revived.map((b) => b.stop())))
  const results = await burst(`${rig.url}/`, 20, 4)
  const slowest = Math.max(...results.map((s) => s.tookMs))
  t.same(countBy(results, (s) => `${s.status} ${s.code}`), { '503 BATON_NO_ENDPOINT': 20 }, 'every request answered 503 BATON_NO_ENDPOINT')
  t.ok(slowest < 2_500, `at once, no timeout waited for: slowest ${slowest} ms`)
  t.same(
    revived.map((b) => b.traffic),
    [0, 0, 0],
    'no attempt reached a backend',
  )
})
