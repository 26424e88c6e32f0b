import t from 'tap'
import { RoundRobinPolicy } from '../../../src/balancer/policies/round-robin.js'
import type { Endpoint } from '../../../src/balancer/types.js'
import { SeededRng } from '../../../src/util/rng.js'
import { makeEndpoints } from '../../helpers/endpoints.js'
import { FIRST_TRY, retryAvoiding } from './pick-helpers.js'

/** Endpoint letters a, b, c, … by index, one per pick; `excludes[k]` is the index to avoid on pick k (−1: none). */
function picks(policy: RoundRobinPolicy, endpoints: Endpoint[], excludes: number[]): string {
  return excludes.map((x) => String.fromCharCode(97 + policy.pick(endpoints, x < 0 ? FIRST_TRY : retryAvoiding(x))!.index)).join('')
}

function fresh(weights: number[]): { policy: RoundRobinPolicy; endpoints: Endpoint[] } {
  const policy = new RoundRobinPolicy()
  const endpoints = makeEndpoints(weights)
  policy.rebuild(endpoints)
  return { policy, endpoints }
}

const firstTries = (n: number): number[] => new Array<number>(n).fill(-1)

t.test('smooth weighted round robin: exact sequences, repeating every total-weight picks', async (t) => {
  const cases: { weights: number[]; period: string }[] = [
    { weights: [5, 1, 1], period: 'aabacaa' }, // nginx's own example
    { weights: [4, 2, 1], period: 'abacaba' },
    { weights: [2, 1], period: 'aba' },
    { weights: [1, 3], period: 'babb' },
    { weights: [1, 1, 1], period: 'abc' }, // equal weights: a rotation
    { weights: [3, 3, 3, 3], period: 'abcd' }, // equal but not 1: still a rotation
    { weights: [1, 1, 1, 1, 1, 1, 1, 1], period: 'abcdefgh' },
  ]
  for (const c of cases) {
    const { policy, endpoints } = fresh(c.weights)
    t.equal(picks(policy, endpoints, firstTries(3 * c.period.length)), c.period.repeat(3), `weights ${c.weights}`)
  }
})

t.test('over one period of total-weight picks, each endpoint is picked exactly weight times', async (t) => {
  const rng = new SeededRng(11)
  for (let trial = 0; trial < 20; trial++) {
    const weights = Array.from({ length: 2 + Math.floor(rng.next() * 9) }, () => 1 + Math.floor(rng.next() * 20))
    const { policy, endpoints } = fresh(weights)
    const total = weights.reduce((a, b) => a + b, 0)
    const counts = new Array<number>(weights.length).fill(0)
    for (let k = 0; k < total; k++) counts[policy.pick(endpoints, FIRST_TRY)!.index]++
    t.same(counts, weights, `weights ${weights}`)
  }
})

t.test('a retry skips the excluded endpoint; the rotation and the scores carry on afterwards', async (t) => {
  const cases: { name: string; weights: number[]; excludes: number[]; expected: string }[] = [
    { name: 'rotation, always avoiding b', weights: [1, 1, 1], excludes: [1, 1, 1, 1, 1, 1], expected: 'acacac' },
    { name: 'rotation, a retry away from b lands on c', weights: [1, 1, 1], excludes: [-1, 1, -1, -1], expected: 'acab' },
    { name: 'rotation, excluded endpoint not next: no effect', weights: [1, 1, 1], excludes: [-1, 0, -1], expected: 'abc' },
    // a sits out: b and c share its rounds, and a's score is untouched, so the normal period follows.
    { name: 'weighted, a excluded then not', weights: [5, 1, 1], excludes: [0, 0, 0, 0, ...firstTries(7)], expected: 'bcbc' + 'aabacaa' },
  ]
  for (const c of cases) {
    const { policy, endpoints } = fresh(c.weights)
    t.equal(picks(policy, endpoints, c.excludes), c.expected, c.name)
  }
})

t.test('rebuild starts afresh on the new available set', async (t) => {
  const { policy, endpoints } = fresh([5, 1, 1])
  picks(policy, endpoints, firstTries(3)) // leaves the scores mid-period
  const uniform = makeEndpoints([1, 1])
  policy.rebuild(uniform)
  t.equal(picks(policy, uniform, firstTries(4)), 'abab', 'weighted → equal: a rotation from the first')
  const weighted = makeEndpoints([2, 1])
  policy.rebuild(weighted)
  t.equal(picks(policy, weighted, firstTries(6)), 'abaaba', 'equal → weighted: smooth from zero scores')
})

t.test('a first-try pick excluding the endpoint just handed out replaces that pick without using up a turn', async (t) => {
  const { policy, endpoints } = fresh([1, 1, 1])
  const replacing = (x: number) => ({ hashKey: 0, attempt: 0, exclude: x })
  const got = [policy.pick(endpoints, FIRST_TRY)!, policy.pick(endpoints, replacing(0))!, policy.pick(endpoints, FIRST_TRY)!]
  t.same(got.map((e) => e.index), [0, 1, 1], 'a rejected: b takes the turn, and b is still next')
  t.equal(policy.pick(endpoints, replacing(0))!.index, 2, 'excluding one not handed out just before: a plain skip')
})
