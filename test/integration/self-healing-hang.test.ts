import t from 'tap'
import type { UpstreamConfig } from '../../src/config/types.js'
import { adminJson, healthConfig, retryConfig, sample, startHealingRig, waitForEvent, type UpstreamsJson } from '../helpers/healing-rig.js'
import { startScripted } from '../helpers/scripted-backend.js'

// Fault 4 of issue 4: a backend accepts the request and never answers. Either the per-try timeout or the
// upstream's response-headers timeout ends the attempt; then an idempotent request moves on, a POST gets 504.
// Outlier ejection is made insensitive so every request can meet the hanging endpoint.

const health = healthConfig({ outlier: { consecutiveGatewayErrors: 100, consecutive5xx: 100 } })

const cases: { name: string; overrides: Partial<UpstreamConfig> }[] = [
  { name: 'retry.perTryTimeout 300ms', overrides: { responseHeadersTimeoutMs: 20_000, retry: retryConfig({ perTryTimeout: '300ms', hedge: { enabled: false } }), health } },
  { name: 'responseHeadersTimeout 300ms', overrides: { responseHeadersTimeoutMs: 300, retry: retryConfig({ hedge: { enabled: false } }), health } },
]

for (const c of cases) {
  t.test(`${c.name}: a GET to a hanging endpoint times out and is retried on another`, async (t) => {
    const [a, b] = await startScripted('a', 'b')
    a.mode = 'hang'
    const rig = await startHealingRig(t, [a, b], { overrides: c.overrides })
    const started = Date.now()
    const results = []
    for (let i = 0; i < 4; i++) results.push(await sample(`${rig.url}/item/${i}`))
    const elapsed = Date.now() - started
    t.same(
      results.map((r) => [r.status, r.backend]),
      Array.from({ length: 4 }, () => [200, 'b']),
      'every GET answered 200 by b',
    )
    t.ok(a.traffic >= 1, `some GETs went to a first (${a.traffic})`)
    t.equal(b.traffic, 4, 'b served each GET once')
    t.ok(elapsed < 15_000, `the timeouts were the short ones, not the 20 s default (${elapsed} ms for 4 GETs)`)
    const [upstream] = await adminJson<UpstreamsJson[]>(rig, '/api/upstreams')
    t.equal(upstream.endpoints[0].errorsByCode.BATON_UPSTREAM_TIMEOUT, a.traffic, 'each hang counted as a timeout of a')
  })

  t.test(`${c.name}: a POST to a hanging endpoint gets 504 and is not retried`, async (t) => {
    const [a, b] = await startScripted('a', 'b')
    a.mode = 'hang'
    const rig = await startHealingRig(t, [a, b], { overrides: c.overrides })
    // Round robin alternates: of two POSTs one meets a.
    const results = [await sample(`${rig.url}/orders`, { method: 'POST', body: 'x' }), await sample(`${rig.url}/orders`, { method: 'POST', body: 'x' })]
    const failed = results.filter((r) => r.status !== 200)
    t.equal(failed.length, 1, 'exactly one POST failed')
    t.match(failed[0], { status: 504, code: 'BATON_UPSTREAM_TIMEOUT' })
    t.equal(a.traffic, 1)
    t.equal(b.traffic, 1, 'the timed-out POST was not replayed on b')
  })
}

t.test('a 300 ms per-try timeout ends the attempt in about 300 ms', async (t) => {
  const [a] = await startScripted('a')
  a.mode = 'hang'
  const rig = await startHealingRig(t, [a], {
    overrides: { responseHeadersTimeoutMs: 20_000, retry: retryConfig({ maxRetries: 0, perTryTimeout: '300ms', hedge: { enabled: false } }), health },
  })
  const took: number[] = []
  for (let i = 0; i < 3; i++) {
    const started = Date.now()
    const r = await sample(`${rig.url}/`)
    took.push(Date.now() - started)
    t.match(r, { status: 504, code: 'BATON_UPSTREAM_TIMEOUT' })
  }
  const fastest = Math.min(...took)
  t.ok(fastest >= 250, `not before the timeout: ${took.join(', ')} ms`)
  // Baton's own timer (upstream-attempt.ts): undici's headersTimeout runs on a 499 ms tick and fired at ~1 s.
  t.ok(fastest < 800, `soon after it: ${took.join(', ')} ms`)
})

t.test('consecutive timeouts eject the hanging endpoint: later GETs go straight to the other', async (t) => {
  const [a, b] = await startScripted('a', 'b')
  a.mode = 'hang'
  const rig = await startHealingRig(t, [a, b], {
    overrides: {
      retry: retryConfig({ perTryTimeout: '300ms', hedge: { enabled: false } }),
      health: healthConfig({ outlier: { consecutiveGatewayErrors: 2, baseEjectionTime: '60s' } }),
    },
  })
  for (let i = 0; i < 4; i++) t.match(await sample(`${rig.url}/item/${i}`), { status: 200, backend: 'b' })
  const ejected = await waitForEvent(rig.baton, (e) => e.kind === 'ejected', 2_000)
  t.match(ejected, { endpoint: rig.ids[0], cause: 'consecutive-gateway-errors' }, 'two timeouts in a row ejected a')
  t.equal(a.traffic, 2, 'a met exactly two requests')
  const after = []
  for (let i = 0; i < 6; i++) after.push(await sample(`${rig.url}/after/${i}`))
  t.ok(after.every((s) => s.status === 200 && s.backend === 'b'), 'b serves the rest')
  t.equal(a.traffic, 2, 'a got nothing more: no request waited for a timeout')
})
