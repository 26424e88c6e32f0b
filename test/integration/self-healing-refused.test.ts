import t from 'tap'
import { adminJson, burst, countBy, healthConfig, startHealingRig, waitForEvent, type EventsJson, type UpstreamsJson } from '../helpers/healing-rig.js'
import { ScriptedBackend, startScripted } from '../helpers/scripted-backend.js'

// Fault 1 of issue 4: one endpoint of three refuses connections (its port is closed).

t.test('a refusing endpoint is retried around, ejected after consecutive gateway errors, then gets no traffic', async (t) => {
  const [a, b, c] = await startScripted('a', 'b', 'c')
  const rig = await startHealingRig(t, [a, b, c], {
    // consecutiveGatewayErrors 3 (the default), a long ejection so it cannot end during the test, and no recovery
    // probes (self-healing-recovery.test.ts has them), which would return it once a listener is back
    overrides: { health: healthConfig({ outlier: { consecutiveGatewayErrors: 3, baseEjectionTime: '60s' }, recovery: { enabled: false } }) },
  })
  await a.stop() // a's port refuses from now on

  const first = await burst(`${rig.url}/`, 30)
  t.same(countBy(first, (s) => s.status), { 200: 30 }, 'every GET succeeded: refused attempts were retried elsewhere')
  t.ok(first.every((s) => s.backend === 'b' || s.backend === 'c'), 'answers came from b and c only')

  const ejected = await waitForEvent(rig.baton, (e) => e.kind === 'ejected', 5_000)
  t.ok(ejected, 'an ejection was recorded')
  t.equal(ejected?.endpoint, rig.ids[0], 'the refusing endpoint was ejected')
  t.equal(ejected?.cause, 'consecutive-gateway-errors')

  const api = await adminJson<EventsJson>(rig, '/api/events')
  const fromApi = api.events.filter((e) => e.kind === 'ejected')
  t.equal(fromApi.length, 1, 'one ejection in /api/events')
  t.match(fromApi[0], { upstream: 'up0', endpoint: rig.ids[0], cause: 'consecutive-gateway-errors', data: { consecutive: 3, durationMs: 60_000 } })
  t.equal(api.counts.ejected, 1)

  const [upstream] = await adminJson<UpstreamsJson[]>(rig, '/api/upstreams')
  const endpointA = upstream.endpoints[0]
  t.match(endpointA.health, { state: 'ejected', routed: false, ejected: true, ejectionCount: 1 })
  t.equal(endpointA.errorsByCode.BATON_UPSTREAM_CONNECT, 3, 'exactly three connect failures before the ejection')

  // Bring a listener back on a's port: had the proxy still routed there, this would count it.
  const revived = await new ScriptedBackend('a-revived').start(a.port)
  t.teardown(() => revived.stop())
  const after = await burst(`${rig.url}/`, 40, 4)
  t.same(countBy(after, (s) => s.status), { 200: 40 }, 'every GET after the ejection succeeded')
  t.equal(revived.traffic, 0, 'the ejected endpoint got no traffic')
  const shares = countBy(after, (s) => s.backend)
  t.same(Object.keys(shares).sort(), ['b', 'c'], 'b and c shared the traffic')
})

t.test('with active checks, a refusing endpoint that comes back is returned by the checks, not after its 60 s', async (t) => {
  const [a, b, c] = await startScripted('a', 'b', 'c')
  const active = { interval: '100ms', unhealthyInterval: '100ms', jitter: '0ms', timeout: '500ms', rise: 2, fall: 2 }
  const rig = await startHealingRig(t, [a, b, c], {
    overrides: { health: healthConfig({ active, outlier: { baseEjectionTime: '60s' }, slowStart: { window: '0ms' } }) },
  })
  await a.stop()
  await burst(`${rig.url}/`, 30)
  t.ok(await waitForEvent(rig.baton, (e) => e.kind === 'ejected' && e.cause === 'consecutive-gateway-errors', 5_000), 'ejected by traffic')
  t.ok(await waitForEvent(rig.baton, (e) => e.kind === 'unhealthy', 5_000), 'and marked unhealthy by the checks')

  const revived = await new ScriptedBackend('a-revived').start(a.port)
  t.teardown(() => revived.stop())
  const returned = await waitForEvent(rig.baton, (e) => e.kind === 'returned', 5_000)
  t.match(returned, { endpoint: rig.ids[0], cause: 'active checks passed after a gateway-error ejection' })
  const [upstream] = await adminJson<UpstreamsJson[]>(rig, '/api/upstreams')
  t.match(upstream.endpoints[0].health, { state: 'available', routed: true, ejected: false, ejectionRemainingMs: 0 })

  const after = await burst(`${rig.url}/`, 30)
  t.same(countBy(after, (s) => s.status), { 200: 30 })
  t.equal(revived.traffic, 10, 'round robin gives the returned endpoint its third at once (slow start off)')
})
