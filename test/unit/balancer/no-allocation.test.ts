import t from 'tap'
import { createPolicy } from '../../../src/balancer/policies/policy-factory.js'
import type { Endpoint, PickContext, Policy } from '../../../src/balancer/types.js'
import { Outcome } from '../../../src/util/outcome.js'
import type { PolicyConfig } from '../../../src/config/types.js'
import { ManualClock } from '../../../src/util/clock.js'
import { SeededRng } from '../../../src/util/rng.js'
import { makeEndpoints } from '../../helpers/endpoints.js'
import { CycleRng } from './pick-helpers.js'
import { scavengesDuring } from '../../helpers/scavenges.js'

/**
 * pick() and observe() must not allocate: counted, not timed. One 16-byte heap number per request is
 * 64 MB of garbage over REQUESTS requests, which takes several young-generation collections (scavenges)
 * with V8's 1–16 MB semi-spaces; an allocation-free loop takes none. One is allowed for a young
 * generation already nearly full when the loop starts.
 */
const REQUESTS = 4_000_000
/** Enough for TurboFan to optimise pick and observe before counting (unoptimised code boxes numbers). */
const WARM_UP = 20_000
const MAX_SCAVENGES = 1

/** Requests as the proxy makes them: every other one a retry, all numbers small integers (no boxing at calls). */
function requests(policy: Policy, endpoints: readonly Endpoint[], count: number): number {
  const ctx: PickContext = { hashKey: 0, attempt: 0, exclude: -1 }
  let folded = 0
  for (let k = 0; k < count; k++) {
    ctx.exclude = (k & 1) === 0 ? -1 : k & 7
    const e = policy.pick(endpoints, ctx)!
    policy.observe(e, 5 + (k & 15), 200, Outcome.Success, k)
    folded ^= e.index
  }
  return folded
}

/** The control: proves the counter sees allocation, by allocating a small object per pick. */
class AllocatingPolicy implements Policy {
  readonly name = 'allocating'
  last: { index: number } | null = null

  rebuild(): void {}

  pick(available: readonly Endpoint[]): Endpoint | null {
    this.last = { index: available.length } // escapes into a field, so it cannot be optimised away
    return available[0]
  }

  observe(): void {}

  tick(): void {}
}

const CONFIGS: PolicyConfig[] = [
  { name: 'round_robin' },
  { name: 'random' },
  { name: 'least_request', choiceCount: 2, activeRequestBias: 1 },
  { name: 'least_request', choiceCount: 3, activeRequestBias: 1.5 },
  { name: 'peak_ewma', decayMs: 10_000, defaultRttMs: 30, failurePenaltyMs: 1_000 },
]
const WEIGHTS: { name: string; weights: number[] }[] = [
  { name: 'equal weights', weights: [1, 1, 1, 1, 1, 1, 1, 1] },
  { name: 'unequal weights', weights: [1, 2, 3, 4, 5, 6, 7, 8] },
]

t.test('the counter sees allocation (control)', async (t) => {
  const endpoints = makeEndpoints([1, 1])
  const policy = new AllocatingPolicy()
  requests(policy, endpoints, WARM_UP)
  const scavenges = await scavengesDuring(() => requests(policy, endpoints, REQUESTS))
  t.ok(scavenges > MAX_SCAVENGES * 3, `an allocating pick: ${scavenges} scavenges`)
})

t.test(`pick + observe allocate nothing over ${REQUESTS} requests`, async (t) => {
  // An rng that does not allocate itself: SeededRng keeps its uint32 state in a tagged field, where
  // every value ≥ 2³¹ is a fresh heap number.
  const seeded = new SeededRng(5)
  const rng = new CycleRng(Array.from({ length: 1024 }, () => seeded.next()))
  for (const config of CONFIGS) {
    for (const w of WEIGHTS) {
      const policy = createPolicy(config, { clock: new ManualClock(), rng })
      const endpoints = makeEndpoints(w.weights, [0, 3, 1, 4, 1, 5, 9, 2])
      policy.rebuild(endpoints)
      requests(policy, endpoints, WARM_UP)
      const scavenges = await scavengesDuring(() => requests(policy, endpoints, REQUESTS))
      t.ok(scavenges <= MAX_SCAVENGES, `${JSON.stringify(config)}, ${w.name}: ${scavenges} scavenges`)
    }
  }
})
