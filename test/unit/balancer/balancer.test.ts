import t from 'tap'
import { Balancer } from '../../../src/balancer/balancer.js'
import type { Endpoint, PickContext, Policy } from '../../../src/balancer/types.js'
import { Outcome } from '../../../src/util/outcome.js'
import { RandomPolicy } from '../../../src/balancer/policies/random.js'
import { RoundRobinPolicy } from '../../../src/balancer/policies/round-robin.js'
import { SeededRng } from '../../../src/util/rng.js'
import { makeEndpoints } from '../../helpers/endpoints.js'
import { FIRST_TRY, retryAvoiding } from './pick-helpers.js'

/** A policy that records every call and always picks the last available endpoint. */
class RecordingPolicy implements Policy {
  readonly name = 'recording'
  readonly calls: unknown[][] = []

  rebuild(available: readonly Endpoint[]): void {
    this.calls.push(['rebuild', available])
  }

  pick(available: readonly Endpoint[], ctx: PickContext): Endpoint | null {
    this.calls.push(['pick', available, ctx])
    return available[available.length - 1]
  }

  observe(e: Endpoint, latencyMs: number, status: number, outcome: Outcome, nowMs: number): void {
    this.calls.push(['observe', e, latencyMs, status, outcome, nowMs])
  }

  tick(nowMs: number): void {
    this.calls.push(['tick', nowMs])
  }
}

t.test('pick short-cuts 0 and 1 available endpoints before the policy', async (t) => {
  const cases: { name: string; size: number; ctx: PickContext; expected: number | null; consulted: boolean }[] = [
    { name: 'none available: null', size: 0, ctx: FIRST_TRY, expected: null, consulted: false },
    { name: 'one: that one', size: 1, ctx: FIRST_TRY, expected: 0, consulted: false },
    { name: 'one, excluded: still that one', size: 1, ctx: retryAvoiding(0), expected: 0, consulted: false },
    { name: 'two: the policy decides', size: 2, ctx: FIRST_TRY, expected: 1, consulted: true },
    { name: 'two, retry: the policy decides', size: 2, ctx: retryAvoiding(0), expected: 1, consulted: true },
  ]
  for (const c of cases) {
    const policy = new RecordingPolicy()
    const balancer = new Balancer(policy, new SeededRng(1))
    const endpoints = makeEndpoints(new Array<number>(c.size).fill(1))
    balancer.setAvailable(endpoints)
    t.equal(balancer.pick(c.ctx)?.index ?? null, c.expected, c.name)
    const picks = policy.calls.filter(([call]) => call === 'pick')
    t.same(picks, c.consulted ? [['pick', endpoints, c.ctx]] : [], `${c.name}: policy ${c.consulted ? '' : 'not '}consulted`)
  }
})

t.test('setAvailable rebuilds the policy; observe and tick are forwarded unchanged', async (t) => {
  const policy = new RecordingPolicy()
  const balancer = new Balancer(policy, new SeededRng(1))
  t.equal(balancer.pick(FIRST_TRY), null, 'nothing available before setAvailable')
  const endpoints = makeEndpoints([1, 2, 3])
  balancer.setAvailable(endpoints)
  balancer.observe(endpoints[2], 12.5, 503, Outcome.HttpError, 1_000)
  balancer.tick(2_000)
  t.same(policy.calls, [
    ['rebuild', endpoints],
    ['observe', endpoints[2], 12.5, 503, Outcome.HttpError, 1_000],
    ['tick', 2_000],
  ])
  t.equal(policy.calls[0][1], endpoints, 'rebuild sees the same array, not a copy')
})

t.test('slow start: a ramping endpoint keeps its policy share times its factor; retries are not ramped', async (t) => {
  const balancer = new Balancer(new RandomPolicy(new SeededRng(3)), new SeededRng(7))
  balancer.setAvailable(makeEndpoints([1, 1, 1, 1]))
  balancer.setRamp(new Float64Array([1, 1, 1, 0.2]))
  const share = (ctx: PickContext, picks: number): number => {
    let hits = 0
    for (let k = 0; k < picks; k++) if (balancer.pick(ctx)!.index === 3) hits++
    return hits / picks
  }
  // Random gives each 1/4; endpoint 3 keeps 0.2 of its quarter (5 %), the rest goes to the others.
  const ramped = share(FIRST_TRY, 100_000)
  t.ok(Math.abs(ramped - 0.05) < 0.005, `ramping endpoint share ${ramped} ≈ 0.05 ± 0.005`)
  const retried = share(retryAvoiding(0), 30_000)
  t.ok(Math.abs(retried - 1 / 3) < 0.02, `a retry avoiding endpoint 0 reaches it at its full share: ${retried} ≈ 1/3 ± 0.02`)
  balancer.setRamp(null)
  const cleared = share(FIRST_TRY, 100_000)
  t.ok(Math.abs(cleared - 0.25) < 0.01, `ramp cleared: share ${cleared} ≈ 0.25 ± 0.01`)
})

t.test('slow start under round robin: the rejected turn is not used up twice', async (t) => {
  for (const n of [2, 4]) {
    const balancer = new Balancer(new RoundRobinPolicy(), new SeededRng(11))
    balancer.setAvailable(makeEndpoints(new Array<number>(n).fill(1)))
    const ramp = new Float64Array(n).fill(1)
    ramp[n - 1] = 0.2
    balancer.setRamp(ramp)
    let hits = 0
    const picks = 100_000
    for (let k = 0; k < picks; k++) if (balancer.pick(FIRST_TRY)!.index === n - 1) hits++
    const expected = 0.2 / n
    t.ok(Math.abs(hits / picks - expected) < 0.005, `${n} endpoints: ramping share ${hits / picks} ≈ ${expected} ± 0.005`)
  }
})
