import t from 'tap'
import { healthConfig, retryConfig, sample, sleep, startHealingRig, waitForEvent, type Sample } from '../helpers/healing-rig.js'
import type { ScriptedBackend } from '../helpers/scripted-backend.js'
import { startScripted } from '../helpers/scripted-backend.js'
import { testConfig } from '../helpers/baton-config.js'

// Issue 13: without active checks, Baton probes an endpoint ejected for gateway errors itself (health.recovery,
// on by default: a TCP connect 0.5 s after the ejection, doubling to 5 s) and returns it as soon as it listens.

/** Light load: two loops, each GET followed by a 10 ms pause, until stopped. */
function lightLoad(url: string): { stop: () => Promise<Sample[]> } {
  let stopped = false
  const samples: Sample[] = []
  const loop = async (): Promise<void> => {
    while (!stopped) {
      samples.push(await sample(url))
      await sleep(10)
    }
  }
  const running = Promise.all([loop(), loop()])
  return {
    stop: async () => {
      stopped = true
      await running
      return samples
    },
  }
}

/** Polls until `backend` has served a request: ms from `sinceMs` (Date.now()) to then, or null after timeoutMs. */
async function firstTraffic(backend: ScriptedBackend, sinceMs: number, timeoutMs: number): Promise<number | null> {
  const before = backend.traffic
  const deadline = sinceMs + timeoutMs
  while (Date.now() < deadline) {
    if (backend.traffic > before) return Date.now() - sinceMs
    await sleep(5)
  }
  return null
}

t.test('defaults, no active checks: a killed backend restarted on its port gets requests again within 2 s', async (t) => {
  const [a, b, c] = await startScripted('a', 'b', 'c')
  const rig = await startHealingRig(t, [a, b, c]) // the shipped health defaults: no active checks, recovery on
  const traffic = lightLoad(`${rig.url}/`)
  await sleep(200)
  await a.stop() // a's port refuses from now on
  const ejected = await waitForEvent(rig.baton, (e) => e.kind === 'ejected', 5_000)
  t.match(ejected, { endpoint: rig.ids[0], cause: 'consecutive-gateway-errors', data: { durationMs: 30_000 } }, 'ejected for 30 s')
  await sleep(1_000) // the first probe (at 0.5 s) was refused
  t.equal(rig.baton.events.list().filter((e) => e.kind === 'returned').length, 0, 'not returned while refusing')

  await a.start()
  const listeningMs = Date.now()
  const returned = await waitForEvent(rig.baton, (e) => e.kind === 'returned', 5_000)
  const servedAfterMs = await firstTraffic(a, listeningMs, 5_000)
  const samples = await traffic.stop()

  t.match(returned, { endpoint: rig.ids[0], cause: /^recovery probe passed after a gateway-error ejection \(TCP connect to 127\.0\.0\.1:\d+ in \d+ ms\)$/ })
  const returnedAfterMs = returned === null ? null : returned.timeMs - listeningMs
  t.ok(returnedAfterMs !== null && returnedAfterMs < 2_000, `returned ${returnedAfterMs} ms after listening`)
  t.ok(servedAfterMs !== null && servedAfterMs < 2_000, `first request ${servedAfterMs} ms after listening (slow start 10 % at first)`)
  const failed = samples.filter((s) => s.status !== 200)
  t.same(failed, [], `no client error in ${samples.length} GETs: refused attempts were retried on b and c`)
  t.comment(`measured: returned ${returnedAfterMs} ms, first request ${servedAfterMs} ms after listening again; ${samples.length} GETs`)
})

t.test('recovery.path: the probe GETs it and returns the endpoint only on 2xx/3xx', async (t) => {
  const [a, b] = await startScripted('a', 'b')
  const rig = await startHealingRig(t, [a, b], { overrides: { health: healthConfig({ recovery: { path: '/healthz' } }) } })
  await a.stop()
  for (let i = 0; i < 6; i++) t.equal((await sample(`${rig.url}/`)).status, 200)
  t.ok(await waitForEvent(rig.baton, (e) => e.kind === 'ejected', 2_000), 'ejected')
  a.healthStatus = 503
  await a.start()
  const checksBefore = a.checks
  await sleep(1_800) // probes at 0.5 and 1.5 s: the port accepts, the GET answers 503
  t.ok(a.checks > checksBefore, `the path was probed (${a.checks - checksBefore} GETs)`)
  t.equal(rig.baton.events.list().filter((e) => e.kind === 'returned').length, 0, 'a 503 keeps it out')
  a.healthStatus = 200
  const returned = await waitForEvent(rig.baton, (e) => e.kind === 'returned', 5_000)
  t.match(returned, { endpoint: rig.ids[0], cause: 'recovery probe passed after a gateway-error ejection (GET /healthz answered 200)' })
})

t.test('a hanging backend is not returned by a bare connect; once its port refuses and accepts again it is, within 2 s', async (t) => {
  const [a, b] = await startScripted('a', 'b')
  a.mode = 'hang'
  // A per-try timeout, so a hang costs 300 ms rather than the 5 s response-headers timeout; health defaults.
  const rig = await startHealingRig(t, [a, b], { overrides: { retry: retryConfig({ perTryTimeout: '300ms', hedge: { enabled: false } }) } })
  const traffic = lightLoad(`${rig.url}/`)
  const ejected = await waitForEvent(rig.baton, (e) => e.kind === 'ejected', 5_000)
  t.match(ejected, { endpoint: rig.ids[0], cause: 'consecutive-gateway-errors' })
  const hung = a.traffic
  await sleep(1_800) // probes at 0.5 and 1.5 s connect to the hanging process: no proof
  t.equal(rig.baton.events.list().filter((e) => e.kind === 'returned').length, 0, 'not returned while it hangs')
  t.equal(a.traffic, hung, 'no request went to it')

  await a.stop() // the process restarts: its port refuses (the probe at 3.5 s sees it), then accepts
  await sleep(2_400)
  a.mode = 'ok'
  await a.start()
  const listeningMs = Date.now()
  const returned = await waitForEvent(rig.baton, (e) => e.kind === 'returned', 5_000)
  const servedAfterMs = await firstTraffic(a, listeningMs, 5_000)
  const samples = await traffic.stop()

  t.match(returned, { endpoint: rig.ids[0], cause: /^recovery probe passed/ })
  const returnedAfterMs = returned === null ? null : returned.timeMs - listeningMs
  t.ok(returnedAfterMs !== null && returnedAfterMs < 2_000, `returned ${returnedAfterMs} ms after listening`)
  t.ok(servedAfterMs !== null && servedAfterMs < 2_000, `first request ${servedAfterMs} ms after listening`)
  t.same(samples.filter((s) => s.status !== 200), [], `no client error in ${samples.length} GETs (hangs were retried on b)`)
  t.comment(`measured: returned ${returnedAfterMs} ms, first request ${servedAfterMs} ms after listening again; ${samples.length} GETs`)
})

t.test('recovery.enabled false keeps the old behaviour: the endpoint sits out its ejection', async (t) => {
  const [a, b] = await startScripted('a', 'b')
  const rig = await startHealingRig(t, [a, b], { overrides: { health: healthConfig({ recovery: { enabled: false } }) } })
  await a.stop()
  for (let i = 0; i < 6; i++) await sample(`${rig.url}/`)
  t.ok(await waitForEvent(rig.baton, (e) => e.kind === 'ejected', 2_000))
  await a.start()
  await sleep(1_500)
  for (let i = 0; i < 10; i++) t.equal((await sample(`${rig.url}/`)).backend, 'b')
  t.equal(a.traffic, 0)
  t.equal(rig.baton.events.list().filter((e) => e.kind === 'returned').length, 0)
})

t.test('a reload that rebuilds the upstream keeps the ejection, and the new cluster probes it', async (t) => {
  const [a, b] = await startScripted('a', 'b')
  const rig = await startHealingRig(t, [a, b])
  await a.stop()
  for (let i = 0; i < 6; i++) t.equal((await sample(`${rig.url}/`)).status, 200)
  t.ok(await waitForEvent(rig.baton, (e) => e.kind === 'ejected', 2_000), 'ejected')
  const before = rig.baton.clusters[0]
  const next = testConfig([{ endpoints: [a.url, b.url], overrides: { connectTimeoutMs: 900 } }])
  t.match(await rig.baton.reload(next), { ok: true })
  const after = rig.baton.clusters[0]
  t.not(after, before, 'the upstream was rebuilt')
  t.ok(after.health.describe(0, 0).ejected, 'the ejection was adopted')
  t.ok(after.prober?.probing(0), 'and the new cluster armed its probes')
  await a.start()
  const listeningMs = Date.now()
  const returned = await waitForEvent(rig.baton, (e) => e.kind === 'returned', 5_000)
  t.match(returned, { endpoint: rig.ids[0], cause: /^recovery probe passed/ })
  t.ok(returned !== null && returned.timeMs - listeningMs < 2_000, `returned ${returned === null ? '-' : returned.timeMs - listeningMs} ms after listening`)
  t.notOk(before.prober?.probing(0), 'the old cluster probes no more')
})
