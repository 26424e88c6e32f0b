import t from 'tap'
import { type ActiveState, RiseFall } from '../../../src/health/rise-fall.js'

interface Case {
  name: string
  initial: 'healthy' | 'unknown'
  /** 'P' pass, 'F' fail, one per check. */
  checks: string
  /** State after each check. */
  states: ActiveState[]
  /** Index of every check that flipped the state. */
  flips: number[]
}

const H = 'healthy'
const U = 'unhealthy'
const cases: Case[] = [
  { name: 'healthy falls after fall=3 failures in a row', initial: 'healthy', checks: 'FFF', states: [H, H, U], flips: [2] },
  { name: 'a pass breaks the failure streak', initial: 'healthy', checks: 'FFPFFF', states: [H, H, H, H, H, U], flips: [5] },
  { name: 'unhealthy rises after rise=2 passes in a row', initial: 'healthy', checks: 'FFFPFPP', states: [H, H, U, U, U, U, H], flips: [2, 6] },
  { name: 'unknown becomes healthy on the first pass', initial: 'unknown', checks: 'P', states: [H], flips: [0] },
  { name: 'unknown becomes unhealthy on the first failure, then needs rise passes', initial: 'unknown', checks: 'FPP', states: [U, U, H], flips: [0, 2] },
]

for (const c of cases) {
  t.test(c.name, async (t) => {
    const rf = new RiseFall(1, 2, 3, c.initial)
    const states: ActiveState[] = []
    const flips: number[] = []
    ;[...c.checks].forEach((r, k) => {
      if (rf.record(0, r === 'P') !== null) flips.push(k)
      states.push(rf.state(0))
    })
    t.same(states, c.states)
    t.same(flips, c.flips)
  })
}

t.test('endpoints are independent; a flip restarts the streak', async (t) => {
  const rf = new RiseFall(2, 2, 3, 'healthy')
  rf.record(0, false)
  rf.record(0, false)
  t.equal(rf.state(1), 'healthy')
  t.equal(rf.record(1, false), null, "endpoint 1's first failure")
  t.equal(rf.record(0, false), 'unhealthy')
  t.equal(rf.record(0, true), null)
  t.equal(rf.record(0, false), null, 'the pass streak restarted')
  t.equal(rf.record(0, true), null)
  t.equal(rf.record(0, true), 'healthy')
})
