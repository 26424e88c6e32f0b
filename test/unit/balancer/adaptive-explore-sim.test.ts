import t from 'tap'
import { AdaptivePolicy } from '../../../src/balancer/policies/adaptive.js'
import { LeastRequestPolicy } from '../../../src/balancer/policies/least-request.js'
import type { Policy } from '../../../src/balancer/types.js'
import { ManualClock } from '../../../src/util/clock.js'
import { SeededRng } from '../../../src/util/rng.js'
import { ADAPTIVE, percentile, share, simulate, steady, type SimBackend, type SimRequest } from './adaptive-sim.js'

/**
 * The targets of exploration on a budget (balancer/policies/adaptive.ts), in the discrete-event simulation:
 * with one backend up to half of them 10× slower, in pools of 4 to 32, from the start or from 10 s on, the
 * p99 stays within 1.3× of what the healthy backends alone give; a backend 12× slower for 8 s that
 * recovers is back to at least 80 % of its fair share within 10 s; the slow ones get about the budget.
 */
const RATE = 500
const DURATION_MS = 30_000
const S = 1_000
const SEEDS = [1, 2]

function run(policy: (clock: ManualClock, seed: number) => Policy, backends: readonly SimBackend[], seed: number): SimRequest[] {
  const clock = new ManualClock(0)
  return simulate({ policy: policy(clock, seed), clock, backends, ratePerS: RATE, durationMs: DURATION_MS, seed })
}

const adaptive = (clock: ManualClock, seed: number): Policy => new AdaptivePolicy(ADAPTIVE, { clock, rng: new SeededRng(seed * 7) })
const leastRequest = (_clock: ManualClock, seed: number): Policy => new LeastRequestPolicy({ choiceCount: 2, activeRequestBias: 1 }, new SeededRng(seed * 7))

/** b_i 10 ms; the first `slow` of them 100 ms from fromMs on. */
function pool(n: number, slow: number, fromMs: number): SimBackend[] {
  return Array.from({ length: n }, (_, i) =>
    i < slow ? { capacity: Infinity, behaviourAt: (ms: number) => ({ kind: 'serve' as const, medianMs: ms >= fromMs ? 100 : 10 }) } : steady(10),
  )
}

function mean(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length
}

t.test('several slow, up to half the pool, 4 to 32 backends: p99 within 1.3× of the healthy ones alone', async (t) => {
  const cases: { n: number; slow: number; fromMs: number }[] = [
    { n: 4, slow: 1, fromMs: 0 },
    { n: 4, slow: 2, fromMs: 0 },
    { n: 8, slow: 4, fromMs: 0 },
    { n: 8, slow: 2, fromMs: 10 * S },
    { n: 32, slow: 16, fromMs: 0 },
    { n: 32, slow: 1, fromMs: 10 * S },
  ]
  for (const c of cases) {
    const healthyAlone = mean(SEEDS.map((seed) => percentile(run(adaptive, pool(c.n - c.slow, 0, 0), seed), 99)))
    const mixed = SEEDS.map((seed) => run(adaptive, pool(c.n, c.slow, c.fromMs), seed))
    const p99 = mean(mixed.map((r) => percentile(r, 99)))
    const slowShare = mean(mixed.map((r) => r.filter((q) => q.endpoint < c.slow && q.arrivalMs >= c.fromMs + S).length / r.length))
    const name = `${c.slow} of ${c.n} slow from ${c.fromMs / S} s`
    t.ok(p99 <= 1.3 * healthyAlone, `${name}: p99 ${p99.toFixed(1)} ms, healthy alone ${healthyAlone.toFixed(1)} ms (${(p99 / healthyAlone).toFixed(2)}×)`)
    t.ok(slowShare < 0.005, `${name}: the slow ones got ${(slowShare * 100).toFixed(2)} % of the requests`)
  }
})

t.test('half of eight slow from the start: fewer requests to the slow half than least_request sends', async (t) => {
  const backends = pool(8, 4, 0)
  const slowShare = (p: typeof adaptive) => mean(SEEDS.map((seed) => run(p, backends, seed).filter((q) => q.endpoint < 4).length / (RATE * 30)))
  const mine = slowShare(adaptive)
  const theirs = slowShare(leastRequest)
  t.ok(mine < theirs / 10, `adaptive ${(mine * 100).toFixed(2)} %, least_request ${(theirs * 100).toFixed(2)} %`)
})

t.test('12× slow for 8 s, then recovered: back to ≥ 80 % of its fair share within 10 s', async (t) => {
  for (const n of [4, 8]) {
    const recoveredMs = 12 * S
    const backends: SimBackend[] = [
      { capacity: Infinity, behaviourAt: (ms) => ({ kind: 'serve', medianMs: ms >= 4 * S && ms < recoveredMs ? 120 : 10 }) },
      ...Array.from({ length: n - 1 }, () => steady(10)),
    ]
    for (const seed of SEEDS) {
      const got = share(run(adaptive, backends, seed), 0, recoveredMs + 6 * S, recoveredMs + 10 * S)
      t.ok(got >= 0.8 / n, `${n} backends, seed ${seed}: b0 ${(got * 100).toFixed(1)} % 6-10 s after recovering (fair ${(100 / n).toFixed(1)} %)`)
    }
  }
})

t.test('hung for 10 s, then answering again: picked within 1 s, ≥ 80 % of its fair share from 4 s on', async (t) => {
  const backUpMs = 20 * S
  const backends: SimBackend[] = [
    { capacity: Infinity, behaviourAt: (ms) => (ms >= 10 * S && ms < backUpMs ? { kind: 'hang' } : { kind: 'serve', medianMs: 10 }) },
    steady(10),
    steady(10),
    steady(10),
  ]
  for (const seed of [1, 2, 3]) {
    const requests = run(adaptive, backends, seed)
    t.ok(share(requests, 0, backUpMs, backUpMs + S) > 0, `seed ${seed}: b0 ${(share(requests, 0, backUpMs, backUpMs + S) * 100).toFixed(1)} % in its first second back`)
    const got = share(requests, 0, backUpMs + 4 * S, backUpMs + 10 * S)
    t.ok(got >= 0.2, `seed ${seed}: b0 ${(got * 100).toFixed(1)} % 4-10 s after (fair 25 %)`)
  }
})
