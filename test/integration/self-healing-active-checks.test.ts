import t from 'tap'
import { adminJson, burst, countBy, healthConfig, startHealingRig, waitForEvent, type UpstreamsJson } from '../helpers/healing-rig.js'
import { ScriptedBackend, startScripted } from '../helpers/scripted-backend.js'

// Fault 8 of issue 4: active health checks. An endpoint failing `fall` consecutive checks leaves the rotation
// with no traffic at all to reveal it; with initialState 'unknown' an endpoint gets nothing before its first
// check passes. Checks every 100 ms without jitter; slow start off so a returning endpoint's share is plain.

const active = { interval: '100ms', unhealthyInterval: '100ms', jitter: '0ms', timeout: '500ms', rise: 2, fall: 2 }

const failures: { name: string; cause: RegExp; breakIt: (a: ScriptedBackend) => Promise<void> | void }[] = [
  { name: 'health path answers 503', cause: /^2 consecutive checks failed, last: status 503$/, breakIt: (a) => void (a.healthStatus = 503) },
  { name: 'health path slower than the check timeout', cause: /^2 consecutive checks failed, last: timeout after 500 ms$/, breakIt: (a) => void (a.healthDelayMs = 2_000) },
  { name: 'port refuses', cause: /^2 consecutive checks failed, last: ECONNREFUSED$/, breakIt: (a) => a.stop() },
]

for (const c of failures) {
  t.test(`${c.name}: failing fall (2) checks takes an endpoint out of rotation without any traffic`, async (t) => {
    const [a, b, c2] = await startScripted('a', 'b', 'c')
    const rig = await startHealingRig(t, [a, b, c2], { overrides: { health: healthConfig({ active, slowStart: { window: '0ms' } }) } })
    await c.breakIt(a)
    const unhealthy = await waitForEvent(rig.baton, (e) => e.kind === 'unhealthy', 10_000)
    t.match(unhealthy, { endpoint: rig.ids[0], cause: c.cause }, 'unhealthy event with the last failure')
    t.equal(a.traffic, 0, 'no traffic was needed to notice')

    const [upstream] = await adminJson<UpstreamsJson[]>(rig, '/api/upstreams')
    t.match(upstream.endpoints[0].health, { state: 'unhealthy', activeState: 'unhealthy', routed: false })
    t.ok(upstream.endpoints.slice(1).every((e) => e.health.state === 'available'), 'b and c stay available')
    t.equal(upstream.health.panic, false, '2 of 3 available: no panic')

    const results = await burst(`${rig.url}/`, 20, 2)
    t.same(countBy(results, (s) => s.status), { 200: 20 })
    t.same(Object.keys(countBy(results, (s) => s.backend)).sort(), ['b', 'c'], 'only b and c served')
    t.equal(a.traffic, 0, 'a got no traffic')
    t.equal(rig.baton.clusters[0].endpoints[0].stats.snapshot(0).requests, 0, 'the proxy sent a no attempt at all')
  })
}

t.test('initialState unknown: no traffic before the first passing check', async (t) => {
  const [a, b] = await startScripted('a', 'b')
  // The first checks take 2 s (a) and 4 s (b) to answer; the check timeout is 10 s.
  a.healthDelayMs = 2_000
  b.healthDelayMs = 4_000
  const rig = await startHealingRig(t, [a, b], {
    overrides: { health: healthConfig({ active: { ...active, timeout: '10s', initialState: 'unknown' }, slowStart: { window: '0ms' } }) },
  })

  const first = await burst(`${rig.url}/`, 5)
  t.same(countBy(first, (s) => `${s.status} ${s.code}`), { '503 BATON_NO_ENDPOINT': 5 }, 'nothing routable before any check passed')
  t.equal(rig.baton.events.list().length, 0, 'no health event yet: the checks were still pending')
  t.same([a.traffic, b.traffic], [0, 0], 'no backend got traffic')
  const [pending] = await adminJson<UpstreamsJson[]>(rig, '/api/upstreams')
  t.same(
    pending.endpoints.map((e) => [e.health.state, e.health.routed]),
    [
      ['unknown', false],
      ['unknown', false],
    ],
  )
  t.equal(pending.health.panic, false, 'unknown endpoints do not count towards panic')

  const aHealthy = await waitForEvent(rig.baton, (e) => e.kind === 'healthy' && e.endpoint === rig.ids[0], 10_000)
  t.match(aHealthy, { cause: 'first check passed' }, 'one pass is enough from unknown')
  const second = await burst(`${rig.url}/`, 6)
  t.same(countBy(second, (s) => s.backend), { a: 6 }, 'a serves everything while b is still unknown')
  t.equal(b.traffic, 0, 'b got nothing before its first check passed')
  t.notOk(rig.baton.events.list().some((e) => e.endpoint === rig.ids[1]), 'b was still unknown during those requests')

  t.ok(await waitForEvent(rig.baton, (e) => e.kind === 'healthy' && e.endpoint === rig.ids[1], 10_000), 'b healthy after its first pass')
  const third = await burst(`${rig.url}/`, 10)
  t.same(countBy(third, (s) => s.backend), { a: 5, b: 5 }, 'both serve once both passed')
})

t.test('initialState unknown and a failing first check: unhealthy at once, back after rise (2) passes', async (t) => {
  const [a, b] = await startScripted('a', 'b')
  b.healthStatus = 500
  const rig = await startHealingRig(t, [a, b], {
    overrides: { health: healthConfig({ active: { ...active, initialState: 'unknown' }, slowStart: { window: '0ms' } }) },
  })
  const bDown = await waitForEvent(rig.baton, (e) => e.kind === 'unhealthy' && e.endpoint === rig.ids[1], 10_000)
  t.match(bDown, { cause: 'first check failed: status 500' })
  t.ok(await waitForEvent(rig.baton, (e) => e.kind === 'healthy' && e.endpoint === rig.ids[0], 10_000), 'a healthy')
  const during = await burst(`${rig.url}/`, 6)
  t.same(countBy(during, (s) => s.backend), { a: 6 })
  t.equal(b.traffic, 0, 'b never got traffic')
  b.healthStatus = 200
  const bUp = await waitForEvent(rig.baton, (e) => e.kind === 'healthy' && e.endpoint === rig.ids[1], 10_000)
  t.match(bUp, { cause: '2 consecutive checks passed' })
  const after = await burst(`${rig.url}/`, 10)
  t.same(countBy(after, (s) => s.backend), { a: 5, b: 5 })
})
