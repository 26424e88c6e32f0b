import t from 'tap'
import { Balancer } from '../../../src/balancer/balancer.js'
import { LeastRequestPolicy } from '../../../src/balancer/policies/least-request.js'
import { RandomPolicy } from '../../../src/balancer/policies/random.js'
import { RoundRobinPolicy } from '../../../src/balancer/policies/round-robin.js'
import { createPolicy } from '../../../src/balancer/policy-factory.js'
import type { PickContext, Policy } from '../../../src/balancer/types.js'
import type { PolicyConfig } from '../../../src/config/types.js'
import { ManualClock } from '../../../src/util/clock.js'
import { SeededRng } from '../../../src/util/rng.js'
import { makeEndpoints, shares } from '../../helpers/endpoints.js'

const FIRST_TRY: PickContext = { hashKey: 0, attempt: 0, exclude: -1 }
/** 100k picks: the standard error of a share near 25% is ≈ 0.14%, so ±1% absolute is over 7σ. */
const PICKS = 100_000
const TOLERANCE = 0.01

function sequence(policy: Policy, weights: number[], n: number, ctx = FIRST_TRY): string {
  const endpoints = makeEndpoints(weights)
  policy.rebuild(endpoints)
  let out = ''
  for (let i = 0; i < n; i++) out += String.fromCharCode(97 + policy.pick(endpoints, ctx)!.index)
  return out
}

t.test('smooth weighted round robin gives exact sequences', async (t) => {
  const cases: [number[], string][] = [
    [[5, 1, 1], 'aabacaa'],
    [[1, 1, 1], 'abcabcabc'],
    [[2, 1], 'abaaba'],
    [[1, 3], 'babbbabb'],
  ]
  for (const [weights, expected] of cases) {
    t.equal(sequence(new RoundRobinPolicy(), weights, expected.length), expected, `weights ${weights}`)
  }
  t.equal(sequence(new RoundRobinPolicy(), [1, 1, 1], 6, { hashKey: 0, attempt: 1, exclude: 1 }), 'acacac', 'excluded endpoint skipped')
})

t.test('weighted random matches weights within ±1% over 100k picks', async (t) => {
  const endpoints = makeEndpoints([1, 2, 3, 4])
  const policy = new RandomPolicy(new SeededRng(42))
  policy.rebuild(endpoints)
  const got = shares(4, PICKS, () => policy.pick(endpoints, FIRST_TRY))
  ;[0.1, 0.2, 0.3, 0.4].forEach((want, i) => t.ok(Math.abs(got[i] - want) < TOLERANCE, `e${i}: ${got[i].toFixed(4)} ≈ ${want}`))
  const excluded = shares(4, 1_000, () => policy.pick(endpoints, { hashKey: 0, attempt: 1, exclude: 3 }))
  t.equal(excluded[3], 0, 'never the excluded endpoint')
})

t.test('least_request: power of two choices by weight / (in-flight + 1)', async (t) => {
  const cases: { name: string; weights: number[]; inflight: number[]; expected: number[] }[] = [
    // Equal load: each endpoint wins its pairs half the time → uniform.
    { name: 'equal', weights: [1, 1, 1, 1], inflight: [0, 0, 0, 0], expected: [0.25, 0.25, 0.25, 0.25] },
    // Strictly ordered load over 4: e0 wins every pair it is in (prob 1/2), e3 never; P(e_i) = (3-i)/6.
    { name: 'ordered load', weights: [1, 1, 1, 1], inflight: [0, 1, 2, 3], expected: [0.5, 1 / 3, 1 / 6, 0] },
    // Two endpoints: the heavier-weighted always wins at equal load.
    { name: 'weights 1:3', weights: [1, 3], inflight: [0, 0], expected: [0, 1] },
    // Weight 3 with 3 in flight scores 3/4 < weight 1 idle scores 1: the idle one wins.
    { name: 'weight vs load', weights: [1, 3], inflight: [0, 3], expected: [1, 0] },
  ]
  for (const c of cases) {
    const endpoints = makeEndpoints(c.weights, c.inflight)
    const policy = new LeastRequestPolicy({ choiceCount: 2, activeRequestBias: 1 }, new SeededRng(7))
    policy.rebuild(endpoints)
    const got = shares(endpoints.length, PICKS, () => policy.pick(endpoints, FIRST_TRY))
    c.expected.forEach((want, i) => t.ok(Math.abs(got[i] - want) < TOLERANCE, `${c.name} e${i}: ${got[i].toFixed(4)} ≈ ${want.toFixed(4)}`))
  }
  const endpoints = makeEndpoints([1, 1, 1], [0, 5, 5])
  const policy = new LeastRequestPolicy({ choiceCount: 2, activeRequestBias: 1 }, new SeededRng(1))
  policy.rebuild(endpoints)
  const excluded = shares(3, 1_000, () => policy.pick(endpoints, { hashKey: 0, attempt: 1, exclude: 0 }))
  t.equal(excluded[0], 0, 'never the excluded endpoint, even when it is the least loaded')
})

t.test('Balancer short-cuts 0 and 1 endpoints before the policy', async (t) => {
  let policyPicks = 0
  const counting: Policy = { name: 'counting', rebuild() {}, pick: (a) => (policyPicks++, a[0]), observe() {}, tick() {} }
  const balancer = new Balancer(counting)
  t.equal(balancer.pick(FIRST_TRY), null, 'none available → null')
  const [only] = makeEndpoints([1])
  balancer.setAvailable([only])
  t.equal(balancer.pick({ hashKey: 0, attempt: 1, exclude: 0 }), only, 'a single endpoint even when excluded')
  t.equal(policyPicks, 0, 'policy not consulted')
  balancer.setAvailable(makeEndpoints([1, 1]))
  balancer.pick(FIRST_TRY)
  t.equal(policyPicks, 1, 'policy consulted from two endpoints')
})

t.test('the factory builds every policy by its YAML name and rejects unknown names', async (t) => {
  const deps = { clock: new ManualClock(), rng: new SeededRng(1) }
  const configs: PolicyConfig[] = [
    { name: 'round_robin' },
    { name: 'random' },
    { name: 'least_request', choiceCount: 2, activeRequestBias: 1 },
    { name: 'peak_ewma', decayMs: 10_000, defaultRttMs: 30, failurePenaltyMs: 1_000 },
  ]
  for (const c of configs) t.equal(createPolicy(c, deps).name, c.name)
  t.throws(() => createPolicy({ name: 'nope' } as unknown as PolicyConfig, deps), /unknown policy "nope"; known: round_robin, random/)
})
