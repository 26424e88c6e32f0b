import t from 'tap'
import { adminJson, healthConfig, load, startHealingRig, waitForEvent, type Sample, type UpstreamsJson } from '../helpers/healing-rig.js'
import { startScripted } from '../helpers/scripted-backend.js'

// Fault 7 of issue 4: recovery through slow start (clock mode). An endpoint whose active checks fail is taken out; when
// its checks pass again (rise 2) it returns with a ramped share: factor = max(10%, t / window), refreshed
// when it returns and on every 1 s health tick. With two endpoints under round robin its steady share is
// 1/2; during the first half second of a 3 s window the factor is at most 0.1 or (after a tick) 0.17, so its
// share is at most about 1/2 × 0.17 ≈ 0.08.

const WINDOW_MS = 3_000

/**
 * Requests the first half second must hold for "a got some traffic at once" to mean something: a's share is then
 * at least 1/2 × 10% = 0.05, so the chance that none of 200 went to a is 0.95^200 ≈ 4e-5. Two clients on
 * loopback complete thousands in that half second; 200 leaves a wide margin for a loaded machine.
 */
const EARLY_MIN_SAMPLES = 200
/** Requests that finished while a was unhealthy, before its return: enough that "none went to a" is a finding. */
const DOWN_MIN_SAMPLES = 10

/**
 * The requests of the first half second after a's return, or, on a machine too loaded to finish
 * EARLY_MIN_SAMPLES by then, the first EARLY_MIN_SAMPLES of the first second. Within one second the factor is at
 * most 1/3 (+ one tick), so a's share stays under 1/2 × 0.4 = 0.2 either way.
 */
function earlySamples(samples: readonly Sample[], t0: number): Sample[] {
  const after = samples.filter((s) => s.doneMs > t0 && s.doneMs <= t0 + 1_000).sort((x, y) => x.doneMs - y.doneMs)
  const halfSecond = after.filter((s) => s.doneMs <= t0 + 500)
  return halfSecond.length >= EARLY_MIN_SAMPLES ? halfSecond : after.slice(0, EARLY_MIN_SAMPLES)
}

function shareOf(samples: readonly Sample[], backend: string): { share: number; n: number } {
  const n = samples.length
  return { share: n === 0 ? Number.NaN : samples.filter((s) => s.backend === backend).length / n, n }
}

t.test('clock mode: a recovered endpoint ramps up through slow start to its full share', async (t) => {
  const [a, b] = await startScripted('a', 'b')
  a.healthStatus = 503
  const rig = await startHealingRig(t, [a, b], {
    overrides: {
      health: healthConfig({
        active: { interval: '100ms', unhealthyInterval: '100ms', jitter: '0ms', timeout: '1s', rise: 2, fall: 2 },
        slowStart: { mode: 'clock', window: `${WINDOW_MS}ms` },
      }),
    },
  })
  const unhealthy = await waitForEvent(rig.baton, (e) => e.kind === 'unhealthy', 5_000)
  t.match(unhealthy, { endpoint: rig.ids[0], cause: /^2 consecutive checks failed, last: status 503/ }, 'a went unhealthy after fall = 2')

  let stop = false
  const running = load(`${rig.url}/`, 2, () => stop)
  a.healthStatus = 200
  const healthy = await waitForEvent(rig.baton, (e) => e.kind === 'healthy', 5_000)
  t.match(healthy, { endpoint: rig.ids[0], cause: '2 consecutive checks passed' }, 'a healthy again after rise = 2')
  const [ramping] = await adminJson<UpstreamsJson[]>(rig, '/api/upstreams')
  const factor = ramping.endpoints[0].health.slowStartFactor
  t.ok(factor < 1, `a is ramping: slow-start factor ${factor.toFixed(3)} in /api/upstreams`)

  const t0 = healthy!.timeMs
  const steadyFrom = t0 + WINDOW_MS + 1_200 // the first health tick after the window sets the factor to 1
  await new Promise((r) => setTimeout(r, steadyFrom + 1_500 - Date.now()))
  stop = true
  const samples = await running

  t.ok(samples.every((s) => s.status === 200), 'every request succeeded')
  // a is out of the routed set until the 'healthy' event (rise = 2 passing checks, 100 ms apart): a request that
  // ended more than 20 ms before that event was picked while a was out.
  const whileDown = shareOf(samples.filter((s) => s.doneMs < t0 - 20), 'a')
  t.ok(whileDown.n >= DOWN_MIN_SAMPLES, `enough requests while a was unhealthy to judge (${whileDown.n})`)
  t.equal(whileDown.share, 0, `no traffic to a while unhealthy (${whileDown.n} requests)`)
  const early = shareOf(earlySamples(samples, t0), 'a')
  const steady = shareOf(samples.filter((s) => s.doneMs >= steadyFrom), 'a')
  t.ok(early.n >= EARLY_MIN_SAMPLES, `enough requests in the first second to judge (${early.n} ≥ ${EARLY_MIN_SAMPLES})`)
  t.ok(steady.n >= 10, `enough requests in the steady phase to judge (${steady.n})`)
  t.ok(early.share > 0, `a got some traffic at once (minPercent 10%): ${early.share.toFixed(3)} of ${early.n}`)
  t.ok(early.share < 0.25, `first half second: a's share ${early.share.toFixed(3)} is well below 1/2`)
  t.ok(steady.share > 0.4 && steady.share < 0.6, `after the window: a's share ${steady.share.toFixed(3)} is about 1/2`)
  t.ok(early.share < steady.share / 2, 'the early share is clearly below the steady share')
  t.equal(a.traffic + b.traffic, samples.length, 'every request reached exactly one backend')
})

// The balancer's contract (balancer.ts): a ramping endpoint's share is its share under the policy times the
// slow-start factor, whatever the policy. A 20 s window keeps the factor at its 10% floor for the first 2 s,
// so over the first second the share of a (1/2 under either policy) should be 1/2 × 0.1 = 0.05.
const contractCases: { policy: 'random' | 'round_robin' }[] = [
  { policy: 'random' },
  // The ramp rejection's re-pick replaces the pick just made, so it does not use up the next turn (round-robin.ts).
  { policy: 'round_robin' },
]

for (const c of contractCases) {
  t.test(`${c.policy}: while ramping, a's share is its policy share × the slow-start factor`, async (t) => {
    const [a, b] = await startScripted('a', 'b')
    a.healthStatus = 503
    const rig = await startHealingRig(t, [a, b], {
      policy: { name: c.policy },
      overrides: {
        health: healthConfig({
          active: { interval: '100ms', unhealthyInterval: '100ms', jitter: '0ms', timeout: '1s', rise: 2, fall: 2 },
          slowStart: { mode: 'clock', window: '20s', minPercent: 10 },
        }),
      },
    })
    t.ok(await waitForEvent(rig.baton, (e) => e.kind === 'unhealthy', 5_000), 'a unhealthy')
    let stop = false
    const running = load(`${rig.url}/`, 2, () => stop)
    a.healthStatus = 200
    const healthy = await waitForEvent(rig.baton, (e) => e.kind === 'healthy', 5_000)
    t.ok(healthy, 'a healthy again')
    await new Promise((r) => setTimeout(r, healthy!.timeMs + 1_100 - Date.now()))
    stop = true
    const samples = await running
    const ramp = shareOf(samples.filter((s) => s.doneMs > healthy!.timeMs && s.doneMs <= healthy!.timeMs + 1_000), 'a')
    t.ok(ramp.n >= 100, `enough requests to judge (${ramp.n})`)
    t.ok(ramp.share > 0.02 && ramp.share < 0.075, `a's share ${ramp.share.toFixed(3)} ≈ 0.5 × 0.1 = 0.05`)
  })
}

// Observed mode (the default): the ramp follows the answers. A revived endpoint that answers as fast as its
// peer earns its full share after `responses` good answers, long before a 30 s clock would give it; one that
// answers slowly (over the latency-outlier line: 3 × the median p99 of the three) stays at the floor.
const observedCases = [
  { name: 'answers as fast as its peers: full share within a second or two', delayMs: 2, fast: true },
  { name: 'answers 100× slower than its peers: stays throttled', delayMs: 200, fast: false },
]
for (const c of observedCases) {
  t.test(`observed mode: a revived endpoint that ${c.name}`, async (t) => {
    const [a, b, d] = await startScripted('a', 'b', 'd')
    a.healthStatus = 503
    b.delayMs = 2
    d.delayMs = 2
    a.delayMs = c.delayMs
    const rig = await startHealingRig(t, [a, b, d], {
      policy: { name: 'round_robin' },
      overrides: {
        health: healthConfig({
          active: { interval: '100ms', unhealthyInterval: '100ms', jitter: '0ms', timeout: '1s', rise: 2, fall: 2 },
          forecast: { interval: '500ms' }, // the median p99 that "slow" is judged by, known within the first half second
          slowStart: { window: '30s', minPercent: 10, responses: 20 },
        }),
      },
    })
    t.ok(await waitForEvent(rig.baton, (e) => e.kind === 'unhealthy', 5_000), 'a unhealthy')
    let stop = false
    const running = load(`${rig.url}/`, 3, () => stop)
    await new Promise((r) => setTimeout(r, 1_000)) // b and d alone sets the latency baseline
    a.healthStatus = 200
    const healthy = await waitForEvent(rig.baton, (e) => e.kind === 'healthy', 5_000)
    t.ok(healthy, 'a healthy again')
    await new Promise((r) => setTimeout(r, healthy!.timeMs + 4_000 - Date.now()))
    stop = true
    const samples = await running
    const late = shareOf(samples.filter((s) => s.doneMs > healthy!.timeMs + 2_500), 'a')
    t.ok(late.n >= 10, `enough requests 2.5–4 s after the return to judge (${late.n})`)
    if (c.fast) t.ok(late.share > 0.25, `a's share ${late.share.toFixed(3)} is about its fair 1/3 (a 30 s clock ramp would give ≤ 0.05)`)
    else t.ok(late.share < 0.1, `a's share ${late.share.toFixed(3)} stays near the floor: 1/3 × 0.1`)
    const [view] = await adminJson<UpstreamsJson[]>(rig, '/api/upstreams')
    const factor = view.endpoints[0].health.slowStartFactor
    if (c.fast) t.equal(factor, 1, 'the ramp is over')
    else t.ok(factor < 0.2, `still ramping: factor ${factor.toFixed(3)}`)
  })
}
