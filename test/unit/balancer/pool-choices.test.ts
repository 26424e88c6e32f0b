import t from 'tap'
import { PoolChoices, type CandidatePool } from '../../../src/balancer/two-choices.js'
import { SeededRng } from '../../../src/util/rng.js'
import { makeEndpoints } from '../../helpers/endpoints.js'

/** A pool of `members` (endpoint indexes, which are also positions here) among n endpoints. */
function pool(n: number, members: number[]): CandidatePool {
  const slotOf = new Int32Array(n).fill(-1)
  members.forEach((m, k) => (slotOf[m] = k))
  return { members: Int32Array.from(members), count: members.length, slotOf, positionOf: Int32Array.from({ length: n }, (_, i) => i) }
}

/** Frequency of each unordered pair "a-b" over draws, and the pair probability each draw reported. */
function draws(n: number, members: number[], exclude: number, count = 20_000) {
  const endpoints = makeEndpoints(new Array<number>(n).fill(1))
  const choices = new PoolChoices()
  const rng = new SeededRng(3)
  const p = pool(n, members)
  const seen = new Map<string, { count: number; probability: number }>()
  for (let k = 0; k < count; k++) {
    choices.draw(endpoints, p, rng, exclude)
    const key = `${Math.min(choices.a, choices.b)}-${Math.max(choices.a, choices.b)}`
    const entry = seen.get(key) ?? { count: 0, probability: choices.pairProbability }
    entry.count++
    seen.set(key, entry)
  }
  return { seen, count }
}

t.test('pairs come from the pool; each pair drawn as often as its reported probability says', async (t) => {
  const cases: { name: string; n: number; members: number[]; exclude: number; pairs: string[] }[] = [
    { name: 'four of eight in the pool', n: 8, members: [0, 2, 4, 6], exclude: -1, pairs: ['0-2', '0-4', '0-6', '2-4', '2-6', '4-6'] },
    { name: 'a member excluded (a retry)', n: 8, members: [0, 2, 4], exclude: 2, pairs: ['0-4'] },
    { name: 'one member: it and a uniform other', n: 4, members: [1], exclude: -1, pairs: ['0-1', '1-2', '1-3'] },
    { name: 'one member left after the exclusion', n: 4, members: [1, 3], exclude: 3, pairs: ['0-1', '1-2'] },
    { name: 'the only member excluded: a uniform pair of the others', n: 4, members: [2], exclude: 2, pairs: ['0-1', '0-3', '1-3'] },
    { name: 'two endpoints, one excluded: both candidates the other', n: 2, members: [0, 1], exclude: 0, pairs: ['1-1'] },
  ]
  for (const c of cases) {
    const { seen, count } = draws(c.n, c.members, c.exclude)
    t.same([...seen.keys()].sort(), c.pairs, `${c.name}: only these pairs`)
    for (const [pair, { count: k, probability }] of seen) {
      t.ok(Math.abs(k / count - probability) < 0.015, `${c.name}: ${pair} drawn ${(k / count).toFixed(3)}, reported ${probability.toFixed(3)}`)
    }
  }
})
