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
  const { policy, endpoints } = setup(4)
  t.equal(policy.explainPick(), null, 'nothing before the first pick')
  const chosen = policy.pick(endpoints, FIRST_TRY)!
  const [a, b, c] = policy.lastPickIndexes
  const [costA, costB] = policy.lastPickCosts
  t.equal(c, chosen.index)
  t.equal(chosen.index, costA <= costB ? a : b, 'the lower sampled cost wins')
  t.same(policy.explainPick(), {
    candidates: [
      { index: a, id: `e${a}`, sampledCostMs: costA },
      { index: b, id: `e${b}`, sampledCostMs: costB },
    ],
    chosen: `e${c}`,
  })
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
