import t, { type Test } from 'tap'
import { LeastRequestPolicy } from '../../../src/balancer/policies/least-request.js'
import type { PickContext } from '../../../src/balancer/types.js'
import { SeededRng } from '../../../src/util/rng.js'
import { makeEndpoints, shares } from '../../helpers/endpoints.js'
import { FIRST_TRY, PICKS, retryAvoiding, TOLERANCE } from './pick-helpers.js'

interface Case {
  name: string
  weights: number[]
  inflight: number[]
  /** Default 2. */
  choiceCount?: number
  /** Default 1. */
  bias?: number
  ctx?: PickContext
  expected: number[]
}

function sharesOf(c: Case): number[] {
  const endpoints = makeEndpoints(c.weights, c.inflight)
  const policy = new LeastRequestPolicy({ choiceCount: c.choiceCount ?? 2, activeRequestBias: c.bias ?? 1 }, new SeededRng(7))
  policy.rebuild(endpoints)
  return shares(endpoints.length, PICKS, () => policy.pick(endpoints, c.ctx ?? FIRST_TRY))
}

/** With d = 2 and strictly increasing load, e_i wins exactly the pairs it forms with a busier endpoint. */
function orderedLoadShares(n: number): number[] {
  const pairs = (n * (n - 1)) / 2
  return Array.from({ length: n }, (_, i) => (n - 1 - i) / pairs)
}

const ordered = (n: number): number[] => Array.from({ length: n }, (_, i) => i)
const ones = (n: number): number[] => new Array<number>(n).fill(1)

function check(t: Test, cases: Case[]): void {
  for (const c of cases) {
    const got = sharesOf(c)
    const ok = got.every((g, i) => Math.abs(g - c.expected[i]) < TOLERANCE)
    t.ok(ok, `${c.name}: ${got.map((x) => x.toFixed(4)).join(' ')} ≈ ${c.expected.map((x) => x.toFixed(4)).join(' ')}`)
  }
}

t.test(`load: the less loaded get more, the most loaded never (±${TOLERANCE * 100}% over ${PICKS} picks)`, async (t) => {
  check(t, [
    { name: 'equal load: uniform', weights: ones(4), inflight: [3, 3, 3, 3], expected: [0.25, 0.25, 0.25, 0.25] },
    { name: 'ordered load, n = 2', weights: ones(2), inflight: ordered(2), expected: orderedLoadShares(2) },
    { name: 'ordered load, n = 4', weights: ones(4), inflight: ordered(4), expected: orderedLoadShares(4) },
    { name: 'ordered load, n = 8', weights: ones(8), inflight: ordered(8), expected: orderedLoadShares(8) },
    { name: 'd = n: always the least loaded', weights: ones(4), inflight: [3, 1, 2, 4], choiceCount: 4, expected: [0, 1, 0, 0] },
    { name: 'd = 1: load ignored, uniform', weights: ones(4), inflight: [0, 9, 9, 9], choiceCount: 1, expected: [0.25, 0.25, 0.25, 0.25] },
  ])
})

t.test('weights: effective weight = weight / (in-flight + 1)^bias', async (t) => {
  check(t, [
    { name: '1:3, two endpoints, equal load: the heavier always', weights: [1, 3], inflight: [2, 2], expected: [0, 1] },
    // Pairs among 4: a weight-3 endpoint wins its pairs with weight-1 ones; equal pairs split at random.
    { name: '1,1,3,3, equal load', weights: [1, 1, 3, 3], inflight: [0, 0, 0, 0], expected: [1 / 12, 1 / 12, 5 / 12, 5 / 12] },
    { name: 'weight 3 with 3 in flight (3/4) loses to idle weight 1 (1)', weights: [1, 3], inflight: [0, 3], expected: [1, 0] },
    { name: 'bias 1: weight 4 with 2 in flight (4/3) beats idle weight 1', weights: [1, 4], inflight: [0, 2], expected: [0, 1] },
    { name: 'bias 2: weight 4 with 2 in flight (4/9) loses', weights: [1, 4], inflight: [0, 2], bias: 2, expected: [1, 0] },
    { name: 'bias 0: load ignored, weight decides', weights: [1, 3], inflight: [0, 100], bias: 0, expected: [0, 1] },
    { name: 'equal weights, bias 2: in flight decides', weights: [5, 5], inflight: [3, 4], bias: 2, expected: [1, 0] },
  ])
})

t.test('a retry never gets the excluded endpoint and still compares d others', async (t) => {
  check(t, [
    // e1 and e2 are always the pair, so the less loaded e1 always wins; e0 is avoided though idle.
    { name: 'avoid the idle e0', weights: ones(3), inflight: [0, 5, 9], ctx: retryAvoiding(0), expected: [0, 1, 0] },
    { name: 'avoid e1 of two', weights: ones(2), inflight: [9, 0], ctx: retryAvoiding(1), expected: [1, 0] },
    { name: 'd = 1, avoid e0', weights: ones(3), inflight: [0, 0, 0], choiceCount: 1, ctx: retryAvoiding(0), expected: [0, 0.5, 0.5] },
    { name: 'ordered load, avoid e0', weights: ones(4), inflight: ordered(4), ctx: retryAvoiding(0), expected: [0, ...orderedLoadShares(3)] },
  ])
})
