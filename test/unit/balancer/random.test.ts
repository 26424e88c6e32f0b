import t from 'tap'
import { RandomPolicy } from '../../../src/balancer/policies/random.js'
import type { PickContext } from '../../../src/balancer/types.js'
import type { Rng } from '../../../src/util/rng.js'
import { SeededRng } from '../../../src/util/rng.js'
import { makeEndpoints, shares } from '../../helpers/endpoints.js'
import { CycleRng, FIRST_TRY, PICKS, retryAvoiding, TOLERANCE } from './pick-helpers.js'

function sharesOf(weights: number[], ctx: PickContext, rng: Rng = new SeededRng(42)): number[] {
  const endpoints = makeEndpoints(weights)
  const policy = new RandomPolicy(rng)
  policy.rebuild(endpoints)
  return shares(weights.length, PICKS, () => policy.pick(endpoints, ctx))
}

const close = (got: number[], want: number[]): boolean => got.every((g, i) => Math.abs(g - want[i]) < TOLERANCE)
const show = (xs: number[]): string => xs.map((x) => x.toFixed(4)).join(' ')

t.test(`shares match weights within ±${TOLERANCE * 100}% absolute over ${PICKS} picks`, async (t) => {
  const cases: { weights: number[]; expected: number[] }[] = [
    { weights: [1, 2, 3, 4], expected: [0.1, 0.2, 0.3, 0.4] },
    { weights: [1, 1, 1, 1], expected: [0.25, 0.25, 0.25, 0.25] },
    { weights: [1, 9], expected: [0.1, 0.9] },
    { weights: [10_000, 1], expected: [10_000 / 10_001, 1 / 10_001] }, // the largest ratio config allows
    { weights: [3, 1, 1, 1, 1, 1, 1, 1], expected: [0.3, ...new Array<number>(7).fill(0.1)] },
  ]
  for (const c of cases) {
    const got = sharesOf(c.weights, FIRST_TRY)
    t.ok(close(got, c.expected), `weights ${c.weights}: ${show(got)} ≈ ${show(c.expected)}`)
  }
})

t.test('one rng draw per pick; with equal weights that draw is the index, floor(u × n)', async (t) => {
  const endpoints = makeEndpoints([2, 2, 2, 2])
  const rng = new CycleRng([0, 0.26, 0.5, 0.99])
  const policy = new RandomPolicy(rng)
  policy.rebuild(endpoints)
  t.same([0, 1, 2, 3].map(() => policy.pick(endpoints, FIRST_TRY)!.index), [0, 1, 2, 3])
  t.equal(rng.draws, 4, 'equal weights: one draw each')
  const weighted = makeEndpoints([1, 2, 3, 4])
  policy.rebuild(weighted)
  for (let k = 0; k < 1_000; k++) policy.pick(weighted, FIRST_TRY)
  t.equal(rng.draws, 1_004, 'unequal weights: still one draw each')
})

t.test('a retry never gets the excluded endpoint; the others keep their relative weights', async (t) => {
  const cases: { weights: number[]; exclude: number; expected: number[] }[] = [
    { weights: [1, 2, 3, 4], exclude: 3, expected: [1 / 6, 2 / 6, 3 / 6, 0] },
    { weights: [1, 2, 3, 4], exclude: 0, expected: [0, 2 / 9, 3 / 9, 4 / 9] },
    { weights: [1, 1, 1], exclude: 1, expected: [0.5, 0, 0.5] },
    { weights: [10_000, 1], exclude: 0, expected: [0, 1] }, // the neighbour fallback: exact with two
  ]
  for (const c of cases) {
    const got = sharesOf(c.weights, retryAvoiding(c.exclude))
    t.equal(got[c.exclude], 0, `weights ${c.weights}, avoiding e${c.exclude}: never picked`)
    t.ok(close(got, c.expected), `weights ${c.weights}, avoiding e${c.exclude}: ${show(got)} ≈ ${show(c.expected)}`)
  }
})
