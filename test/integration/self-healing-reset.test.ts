import t from 'tap'
import { adminJson, healthConfig, sample, startHealingRig, waitForEvent, type UpstreamsJson } from '../helpers/healing-rig.js'
import { startScripted } from '../helpers/scripted-backend.js'

// Fault 2 of issue 4: a backend resets the connection mid-request, before sending any response byte.
// Outlier ejection is made insensitive (100 gateway errors) so every request meets the reset.

const health = healthConfig({ outlier: { consecutiveGatewayErrors: 100, consecutive5xx: 100 } })

t.test('a GET reset before any response byte is retried on another endpoint and succeeds', async (t) => {
  const [a, b] = await startScripted('a', 'b')
  a.mode = 'reset'
  const rig = await startHealingRig(t, [a, b], { overrides: { health } })
  const results = []
  for (let i = 0; i < 10; i++) results.push(await sample(`${rig.url}/item/${i}`))
  t.same(
    results.map((r) => [r.status, r.backend]),
    Array.from({ length: 10 }, () => [200, 'b']),
    'every GET answered 200 by b',
  )
  t.ok(a.traffic >= 3, `a reset some of them first (${a.traffic} requests reached a)`)
  t.equal(b.traffic, 10, 'b served each request once')
  const [upstream] = await adminJson<UpstreamsJson[]>(rig, '/api/upstreams')
  t.equal(upstream.endpoints[0].errorsByCode.BATON_UPSTREAM_RESET, a.traffic, 'each reset counted against a')
})

t.test('a POST whose body reached the backend is not retried after a reset: 502 BATON_UPSTREAM_RESET', async (t) => {
  const [a, b] = await startScripted('a', 'b')
  a.mode = 'reset-after-body'
  const rig = await startHealingRig(t, [a, b], { overrides: { health } })
  // Round robin alternates, so of two POSTs one meets a, the other b.
  const body = 'x'.repeat(1000)
  const results = [await sample(`${rig.url}/orders`, { method: 'POST', body }), await sample(`${rig.url}/orders`, { method: 'POST', body })]
  const failed = results.filter((r) => r.status !== 200)
  t.equal(failed.length, 1, 'exactly one POST failed')
  t.match(failed[0], { status: 502, code: 'BATON_UPSTREAM_RESET' }, 'the reset POST got 502 with its error code')
  t.equal(a.traffic, 1, 'a got one POST')
  t.equal(a.bodyBytesBeforeReset, 1000, 'a received the whole body before it reset')
  t.equal(b.traffic, 1, 'b got only its own POST: the reset one was not replayed there')
})

t.test('a POST refused at connect (nothing reached a backend) is still retried', async (t) => {
  const [a, b] = await startScripted('a', 'b')
  const rig = await startHealingRig(t, [a, b], { overrides: { health } })
  await a.stop()
  for (let i = 0; i < 4; i++) {
    const r = await sample(`${rig.url}/orders`, { method: 'POST', body: 'x' })
    t.match(r, { status: 200, backend: 'b' }, `POST ${i} served by b`)
  }
})

t.test('consecutive resets (3, the default) eject the endpoint', async (t) => {
  const [a, b] = await startScripted('a', 'b')
  a.mode = 'reset'
  const rig = await startHealingRig(t, [a, b], { overrides: { health: healthConfig({ outlier: { baseEjectionTime: '60s' } }) } })
  for (let i = 0; i < 12; i++) t.match(await sample(`${rig.url}/item/${i}`), { status: 200, backend: 'b' })
  const ejected = await waitForEvent(rig.baton, (e) => e.kind === 'ejected', 2_000)
  t.match(ejected, { endpoint: rig.ids[0], cause: 'consecutive-gateway-errors', data: { consecutive: 3 } })
  t.equal(a.traffic, 3, 'a met exactly three requests before it was ejected')
})
