import t from 'tap'
import { AdaptivePolicy } from '../../../src/balancer/policies/adaptive.js'
import type { Endpoint, PickContext } from '../../../src/balancer/types.js'
import { Outcome } from '../../../src/util/outcome.js'
import { sampleNormal } from '../../../src/model/gaussian.js'
import { ManualClock } from '../../../src/util/clock.js'
import { SeededRng } from '../../../src/util/rng.js'
import { makeEndpoints, shares } from '../../helpers/endpoints.js'
import { ADAPTIVE } from './adaptive-sim.js'

const FIRST_TRY: PickContext = { hashKey: 0, attempt: 0, exclude: -1 }

function setup(n: number, seed = 1) {
  const clock = new ManualClock(1_000)
  const policy = new AdaptivePolicy(ADAPTIVE, { clock, rng: new SeededRng(seed), wallClock: () => 1_700_000_000_000 })
  const endpoints = makeEndpoints(new Array<number>(n).fill(1))
  policy.rebuild(endpoints)
  return { clock, policy, endpoints }
}

/** One answer from e after latencyMs with `inflight` there (this one included), as the proxy reports it. */
function answer(policy: AdaptivePolicy, clock: ManualClock, e: Endpoint, inflight: number, latencyMs: number, outcome = Outcome.Success): void {
  e.inflight = inflight
  policy.observe(e, latencyMs, outcome === Outcome.Success ? 200 : 0, outcome, clock.now())
  e.inflight = 0
}

t.test('learns a linear latency law, latency = 4 + 2.5·in-flight, within 1 ms through observe() and explain()', async (t) => {
  const { clock, policy, endpoints } = setup(2)
  const [e] = endpoints
  const rng = new SeededRng(7)
  const law = (q: number) => 4 + 2.5 * q
  for (let k = 0; k < 4_000; k++) {
    const q = 1 + Math.floor(rng.next() * 30)
    answer(policy, clock, e, q, law(q) + sampleNormal(rng))
    clock.advance(1)
    if (k % 1_000 === 999) policy.tick(clock.now())
  }
  for (const q of [1, 8, 16, 30]) {
    e.inflight = q - 1 // explain() prices one more request: q in flight with it
    const predicted = policy.explain(e).predictedLatencyMs
    t.ok(Math.abs(predicted - law(q)) < 1, `q=${q}: ${predicted.toFixed(2)} ≈ ${law(q)}`)
  }
})

t.test('explain(): the features, the latency and its parts, P(error) and the total', async (t) => {
  const { clock, policy, endpoints } = setup(2)
  const [e] = endpoints
  for (let k = 0; k < 50; k++) answer(policy, clock, e, 2, 20)
  answer(policy, clock, e, 1, 3, Outcome.HttpError)
  clock.advance(2_000)
  const x = policy.explain(e)
  t.same(Object.keys(x).sort(), [
    'costMs', 'costStdMs', 'drainMs', 'errorCostMs', 'errorProbability', 'inflight', 'modelVersion', 'p99Ms',
    'peakEwmaMs', 'predictedLatencyMs', 'queueMs', 'regressionMs', 'samples', 'secondsSinceFailure', 'stallMs',
  ])
  t.ok(Object.values(x).every(Number.isFinite), 'all finite (JSON-safe)')
  t.equal(x.peakEwmaMs, 20)
  t.equal(x.secondsSinceFailure, 2)
  t.equal(x.samples, 50, 'the 500 is not a latency sample')
  t.equal(x.predictedLatencyMs, Math.max(x.regressionMs + x.queueMs, x.stallMs, x.drainMs))
  t.equal(x.errorCostMs, x.errorProbability * ADAPTIVE.errorPenaltyMs)
  t.equal(x.costMs, x.predictedLatencyMs + x.errorCostMs)
})

t.test('a client abort never counts against an endpoint', async (t) => {
  const { clock, policy, endpoints } = setup(2)
  const [e] = endpoints
  for (let k = 0; k < 20; k++) answer(policy, clock, e, 1, 15)
  const before = policy.explain(e)
  for (let k = 0; k < 100; k++) answer(policy, clock, e, 1, 0.3, Outcome.ClientAbort)
  t.same(policy.explain(e), before, 'features, prediction, P(error) and cost unchanged')
})

t.test('a failure raises P(error) strongly and fast, and a 1 ms refused connection does not look fast', async (t) => {
  const { clock, policy, endpoints } = setup(2)
  const [healthy, refusing] = endpoints
  for (let k = 0; k < 100; k++) {
    answer(policy, clock, healthy, 1, 10)
    answer(policy, clock, refusing, 1, 10)
  }
  for (let k = 0; k < 3; k++) answer(policy, clock, refusing, 1, 1, Outcome.ConnectFailure)
  const x = policy.explain(refusing)
  t.ok(x.errorProbability > 0.15, `three refusals after 100 answers: P(error) ${x.errorProbability.toFixed(3)}`)
  t.ok(x.costMs > 10 * policy.explain(healthy).costMs, `cost ${x.costMs.toFixed(0)} ms against ${policy.explain(healthy).costMs.toFixed(1)}`)
  t.ok(shares(2, 1_000, () => policy.pick(endpoints, FIRST_TRY))[1] < 0.01, 'and it is (almost) never picked')
})

t.test('pick honours ctx.exclude and keeps its candidates and sampled costs in typed arrays', async (t) => {
  const cases = [2, 3, 8]
  for (const n of cases) {
    const { policy, endpoints } = setup(n)
    const excluded = shares(n, 2_000, () => policy.pick(endpoints, { hashKey: 0, attempt: 1, exclude: n - 1 }))
    t.equal(excluded[n - 1], 0, `${n} endpoints: never the excluded one`)
  }
  const { clock, policy, endpoints } = setup(4)
  t.equal(policy.explainPick(), null, 'nothing before the first pick')
  // Costs 10, 13, 16 and 19 ms: no two too close to call, none believed slower than another (2×).
  for (let k = 0; k < 30; k++) endpoints.forEach((e) => answer(policy, clock, e, 1, 10 + 3 * e.index))
  policy.tick(clock.now())
  const chosen = policy.pick(endpoints, FIRST_TRY)!
  const [a, b, c] = policy.lastPickIndexes
  const [costA, costB] = policy.lastPickCosts
  t.equal(c, chosen.index)
  t.equal(chosen.index, costA <= costB ? a : b, 'the lower sampled cost wins')
  const pick = policy.explainPick()!
  t.same(pick.candidates, [
    { index: a, id: `e${a}`, sampledCostMs: costA },
    { index: b, id: `e${b}`, sampledCostMs: costB },
  ])
  t.equal(pick.chosen, `e${c}`)
  t.equal(pick.pairProbability, 1 / 6, 'four endpoints, all near the best: a uniform pair of them')
})

t.test('two candidates too close to call share by load, not by the lower estimate', async (t) => {
  const { clock, policy, endpoints } = setup(2, 3)
  const [e0, e1] = endpoints
  const teach = (slowerMs: number) => {
    for (let k = 0; k < 60; k++) {
      answer(policy, clock, e0, 1, 10)
      answer(policy, clock, e1, 1, slowerMs)
      clock.advance(10)
    }
    policy.tick(clock.now())
  }
  const picks = (inflight0: number, inflight1: number) =>
    shares(2, 4_000, () => {
      e0.inflight = inflight0
      e1.inflight = inflight1
      const e = policy.pick(endpoints, FIRST_TRY)
      e0.inflight = e1.inflight = 0
      return e
    })
  teach(11.5) // 15 % slower: within the 25 % of estimate noise
  const even = picks(0, 0)
  t.ok(Math.abs(even[0] - 0.5) < 0.04, `equally busy: e0 ${(even[0] * 100).toFixed(1)} % (a coin between equals)`)
  t.equal(policy.explainPick()!.choiceProbability, 0.5, 'and the log says so')
  t.equal(picks(2, 0)[1], 1, 'e0 busier: every pick to e1, the slightly slower one')
  t.equal(policy.explainPick()!.choiceProbability, 1)
  teach(16) // 60 % slower: a real difference
  t.ok(picks(0, 0)[0] > 0.95, 'a clear difference still decides')
})

t.test('unknown endpoints are explored: with no data every endpoint gets picks', async (t) => {
  const { policy, endpoints } = setup(8)
  const got = shares(8, 800, () => policy.pick(endpoints, FIRST_TRY))
  t.ok(got.every((s) => s > 0.05), `shares ${got.map((s) => s.toFixed(2)).join(' ')}`)
})

t.test('rebuild: subsets keep what was learned; a larger endpoint set starts afresh; unknown indexes are ignored', async (t) => {
  const { clock, policy, endpoints } = setup(3)
  for (let k = 0; k < 10; k++) answer(policy, clock, endpoints[0], 1, 50)
  policy.rebuild(endpoints.slice(0, 2))
  t.equal(policy.explain(endpoints[0]).samples, 10, 'a health change (subset) keeps the model')
  const far = { id: 'far', index: 9, weight: 1, inflight: 1 }
  policy.observe(far, 5, 200, Outcome.Success, clock.now())
  t.same(policy.explain(far), { inflight: 1 }, 'an index the policy was never shown is ignored')
  policy.rebuild(makeEndpoints([1, 1, 1, 1, 1]))
  t.equal(policy.explain(endpoints[0]).samples, 0, 'a larger set is a new model')
})

t.test('drift after a step change bumps the model version (reason "drift") and tells the listener', async (t) => {
  const { clock, policy, endpoints } = setup(2)
  const [e] = endpoints
  const rng = new SeededRng(9)
  const drifted: string[] = []
  policy.manager.onEvent((event) => {
    if (event.type === 'drift') drifted.push(...event.endpointIds)
  })
  const serve = (n: number, baseMs: number) => {
    for (let k = 0; k < n; k++) {
      answer(policy, clock, e, 1 + (k % 5), baseMs + 2 * (1 + (k % 5)) + sampleNormal(rng))
      clock.advance(2)
    }
    policy.tick(clock.now())
  }
  serve(1_000, 10)
  const before = policy.explain(e).modelVersion
  t.same(policy.manager.versions().map((v) => v.reason), ['refit'], 'steady: one timed version')
  serve(300, 60)
  t.same(policy.manager.versions().map((v) => v.reason), ['refit', 'drift'])
  t.ok(policy.explain(e).modelVersion > before, 'explain() reports the new version')
  t.same(drifted, ['e0'])
})

t.test('exploration on a budget: a candidate believed slower wins only within explorationFraction of picks', async (t) => {
  for (const explorationFraction of [0, 0.005, 0.05]) {
    const clock = new ManualClock(1_000)
    const policy = new AdaptivePolicy({ ...ADAPTIVE, explorationFraction }, { clock, rng: new SeededRng(5) })
    const endpoints = makeEndpoints([1, 1])
    policy.rebuild(endpoints)
    for (let k = 0; k < 50; k++) answer(policy, clock, endpoints[1], 1, 100) // b1: 100 ms, then silent (uncertain)
    clock.advance(30_000)
    policy.tick(clock.now())
    const picks = 20_000
    let slow = 0
    for (let k = 0; k < picks; k++) {
      const e = policy.pick(endpoints, FIRST_TRY)!
      if (e.index === 1) slow++
      else answer(policy, clock, e, 1, 10)
      clock.advance(0.1)
    }
    t.ok(slow <= explorationFraction * picks + 1, `budget ${explorationFraction}: ${slow} of ${picks} picks to the slow one`)
    t.equal(policy.exploration.explored, slow, 'each of them counted as exploration')
  }
})

t.test('the logged choice probability is the real one: it matches how often each candidate is taken', async (t) => {
  const { clock, policy, endpoints } = setup(2, 9)
  for (let k = 0; k < 30; k++) {
    answer(policy, clock, endpoints[0], 1, 10 + (k % 3))
    answer(policy, clock, endpoints[1], 1, 12 + (k % 5))
  }
  clock.advance(3_000) // both a little stale: their sampled costs overlap
  let first = 0
  let reported = 0
  const picks = 20_000
  for (let k = 0; k < picks; k++) {
    const e = policy.pick(endpoints, FIRST_TRY)!
    const pick = policy.explainPick()!
    const p = pick.choiceProbability!
    reported += e.index === 0 ? p : 1 - p
    if (e.index === 0) first++
  }
  t.ok(Math.abs(first / picks - reported / picks) < 0.01, `taken ${(first / picks).toFixed(3)}, reported ${(reported / picks).toFixed(3)}`)
})

t.test('probes of an idle, jittery, healthy endpoint never read as a recovery (no drift, no reset)', async (t) => {
  const { clock, policy, endpoints } = setup(2)
  const probes = policy.probes!
  const rng = new SeededRng(7)
  for (let k = 0; k < 120; k++) {
    clock.advance(1_000)
    probes.onProbe(0, 5 + 6 * rng.next(), 'ok', clock.now()) // 5–11 ms, as the demo's fast backends
    policy.tick(clock.now()) // where drift becomes a model version
  }
  t.same(policy.manager.versions().filter((v) => v.reason === 'drift'), [], 'two minutes of probe jitter: no drift version')
  // A real recovery still reads at once: slow answers, then two fast probes.
  for (let k = 0; k < 20; k++) answer(policy, clock, endpoints[1], 1, 100)
  clock.advance(1_000)
  probes.onProbe(1, 10, 'ok', clock.now())
  clock.advance(1_000)
  probes.onProbe(1, 12, 'ok', clock.now())
  t.equal(policy.explain(endpoints[1]).peakEwmaMs, 12, '100 ms → 10–12 ms: two probes agree, the estimate follows them')
})

t.test('a stalled try (a timeout, a hedge loser) is learned as latency at least its wait', async (t) => {
  const { clock, policy, endpoints } = setup(2)
  for (let k = 0; k < 50; k++) answer(policy, clock, endpoints[0], 1, 10)
  answer(policy, clock, endpoints[0], 1, 400, Outcome.Timeout)
  const x = policy.explain(endpoints[0])
  t.ok(x.peakEwmaMs >= 400, `peak-EWMA ${x.peakEwmaMs.toFixed(0)} ms`)
  t.ok(x.costMs >= 400, `cost ${x.costMs.toFixed(0)} ms`)
})

t.test('probes: wanted for a routable endpoint silent for an interval, at most once per interval; two fast ones bring it back', async (t) => {
  const { clock, policy, endpoints } = setup(3)
  const probes = policy.probes!
  t.equal(probes.intervalMs, 1_000)
  t.equal(probes.path, '/')
  for (let k = 0; k < 50; k++) answer(policy, clock, endpoints[0], 1, 100)
  t.notOk(probes.wantsProbe(0, clock.now()), 'just heard from')
  clock.advance(1_000)
  t.ok(probes.wantsProbe(0, clock.now()), 'silent for 1 s')
  t.notOk(probes.wantsProbe(0, clock.now() + 500), 'booked: not again within the interval')
  policy.rebuild(endpoints.slice(1))
  clock.advance(1_000)
  t.notOk(probes.wantsProbe(0, clock.now()), 'not routable: health probes it, not the model')
  policy.rebuild(endpoints)
  probes.onProbe(0, 10, 'ok', clock.now())
  t.ok(policy.explain(endpoints[0]).peakEwmaMs > 50, 'one fast probe is not enough')
  clock.advance(1_000)
  probes.onProbe(0, 11, 'ok', clock.now())
  t.equal(policy.explain(endpoints[0]).peakEwmaMs, 11, 'two agree: the slower of them')
  t.equal(policy.explain(endpoints[0]).samples, 52, 'each probe is an observation of the regression')
  probes.onProbe(0, 900, 'stall', clock.now())
  t.ok(policy.explain(endpoints[0]).peakEwmaMs >= 900, 'a probe that timed out is its wait')
  const off = new AdaptivePolicy({ ...ADAPTIVE, probeIntervalMs: 0 }, { clock, rng: new SeededRng(1) })
  t.equal(off.probes, null, 'probeInterval 0s: no probes')
})
