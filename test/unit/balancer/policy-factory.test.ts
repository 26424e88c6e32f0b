import t from 'tap'
import { AdaptivePolicy } from '../../../src/balancer/policies/adaptive.js'
import { LeastRequestPolicy } from '../../../src/balancer/policies/least-request.js'
import { PeakEwmaPolicy } from '../../../src/balancer/policies/peak-ewma.js'
import { RandomPolicy } from '../../../src/balancer/policies/random.js'
import { RoundRobinPolicy } from '../../../src/balancer/policies/round-robin.js'
import { createPolicy } from '../../../src/balancer/policies/policy-factory.js'
import type { PolicyConfig } from '../../../src/config/types.js'
import { ManualClock } from '../../../src/util/clock.js'
import { SeededRng } from '../../../src/util/rng.js'
import { makeEndpoints, shares } from '../../helpers/endpoints.js'
import { CycleRng, FIRST_TRY } from './pick-helpers.js'

const deps = { clock: new ManualClock(), rng: new SeededRng(1) }

t.test('builds each policy by the name YAML uses', async (t) => {
  const cases: { config: PolicyConfig; type: Function }[] = [
    { config: { name: 'round_robin' }, type: RoundRobinPolicy },
    { config: { name: 'random' }, type: RandomPolicy },
    { config: { name: 'least_request', choiceCount: 2, activeRequestBias: 1 }, type: LeastRequestPolicy },
    { config: { name: 'peak_ewma', decayMs: 10_000, defaultRttMs: 30, failurePenaltyMs: 1_000 }, type: PeakEwmaPolicy },
    {
      config: { name: 'adaptive', forgetting: 0.995, errorPenaltyMs: 1_000, refitIntervalMs: 1_000, stateDir: null, saveIntervalMs: 30_000, explorationFraction: 0.005, probeIntervalMs: 1_000, probePath: '/' },
      type: AdaptivePolicy,
    },
  ]
  for (const c of cases) {
    const policy = createPolicy(c.config, deps)
    t.ok(policy instanceof c.type, `${c.config.name} → ${c.type.name}`)
    t.equal(policy.name, c.config.name)
  }
})

t.test('an unknown name throws, listing the known ones', async (t) => {
  t.throws(() => createPolicy({ name: 'nope' } as unknown as PolicyConfig, deps), {
    message: 'unknown policy "nope"; known: round_robin, random, least_request, peak_ewma, adaptive, hash',
  })
})

t.test('options and deps reach the policy', async (t) => {
  const endpoints = makeEndpoints([1, 1, 1, 1], [3, 1, 2, 4])
  const leastRequest = createPolicy({ name: 'least_request', choiceCount: 4, activeRequestBias: 1 }, deps)
  leastRequest.rebuild(endpoints)
  t.same(shares(4, 100, () => leastRequest.pick(endpoints, FIRST_TRY)), [0, 1, 0, 0], 'choiceCount 4 of 4: always the least loaded')
  const random = createPolicy({ name: 'random' }, { clock: deps.clock, rng: new CycleRng([0.6]) })
  random.rebuild(endpoints)
  t.same(shares(4, 100, () => random.pick(endpoints, FIRST_TRY)), [0, 0, 1, 0], 'the injected rng: 0.6 × 4 → e2')
})
