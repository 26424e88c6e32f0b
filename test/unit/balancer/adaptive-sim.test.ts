import t from 'tap'
import { AdaptivePolicy } from '../../../src/balancer/policies/adaptive.js'
import { PeakEwmaPolicy } from '../../../src/balancer/policies/peak-ewma.js'
import { RoundRobinPolicy } from '../../../src/balancer/policies/round-robin.js'
import type { Policy } from '../../../src/balancer/types.js'
import { ManualClock } from '../../../src/util/clock.js'
import { SeededRng } from '../../../src/util/rng.js'
import { ADAPTIVE, errorRate, percentile, share, simulate, steady, type Behaviour, type SimBackend, type SimRequest } from './adaptive-sim.js'

/**
 * The adaptive policy against scripted backends in the discrete-event simulation, next to the baselines
 * it must beat, as the scenario bench runs them (bench/scenarios): four backends, b0 the one in trouble,
 * Poisson arrivals at 500/s for 30 s, log-normal service times (σ = 0.3).
 */
const RATE = 500
const DURATION_MS = 30_000
const S = 1_000
const SEEDS = [1, 2, 3]

type PolicyName = 'adaptive' | 'peak_ewma' | 'round_robin'

function makePolicy(name: PolicyName, clock: ManualClock, seed: number): Policy {
  const rng = new SeededRng(seed * 7)
  if (name === 'adaptive') return new AdaptivePolicy(ADAPTIVE, { clock, rng })
  if (name === 'peak_ewma') return new PeakEwmaPolicy({ decayMs: 10_000, defaultRttMs: 30, failurePenaltyMs: 1_000, clock, rng })
  return new RoundRobinPolicy()
}

function run(name: PolicyName, backends: readonly SimBackend[], seed: number): SimRequest[] {
  const clock = new ManualClock(0)
  return simulate({ policy: makePolicy(name, clock, seed), clock, backends, ratePerS: RATE, durationMs: DURATION_MS, seed })
}

/** The mean over SEEDS of a measure of each run. */
function mean(name: PolicyName, backends: readonly SimBackend[], measure: (r: SimRequest[]) => number): number {
  return SEEDS.reduce((sum, seed) => sum + measure(run(name, backends, seed)), 0) / SEEDS.length
}

const serve = (medianMs: number): Behaviour => ({ kind: 'serve', medianMs })
const b0 = (behaviourAt: (tMs: number, rng: SeededRng) => Behaviour): SimBackend => ({ capacity: Infinity, behaviourAt })
const peers = (medianMs = 10) => [steady(medianMs), steady(medianMs), steady(medianMs)]

t.test('p99 against peak-EWMA where backends differ: never more than 5% worse', async (t) => {
  const cases: { name: string; backends: SimBackend[]; from?: number; to?: number }[] = [
    { name: 'one backend 10× slower', backends: [steady(100), ...peers()] },
    { name: 'a degrading backend (5 → 200 ms over 20 s), before it dies', backends: [b0((ms) => serve(5 + (195 * ms) / 20_000)), ...peers(5)], to: 20 * S },
    { name: 'capacities 4, 8, 16, 32 at 40 ms', backends: [4, 8, 16, 32].map((c) => steady(40, c)) },
    { name: 'b0 slow (100 ms) for 10 s, then fast', backends: [b0((ms) => serve(ms < 10 * S ? 100 : 10)), ...peers()] },
  ]
  for (const c of cases) {
    const p99 = (r: SimRequest[]) => percentile(r, 99, c.from, c.to)
    const adaptive = mean('adaptive', c.backends, p99)
    const peak = mean('peak_ewma', c.backends, p99)
    t.ok(adaptive <= peak * 1.05, `${c.name}: adaptive p99 ${adaptive.toFixed(1)} ms, peak_ewma ${peak.toFixed(1)} ms`)
  }
})

t.test('a backend 10× slower than its peers gets under 1% of the traffic', async (t) => {
  const got = mean('adaptive', [steady(100), ...peers()], (r) => share(r, 0))
  t.ok(got < 0.01, `b0 share ${(got * 100).toFixed(2)}%`)
})

t.test('unequal capacity (4/8/16/32 slots, 40 ms, 500 req/s): p99 stays near the service time’s own p99', async (t) => {
  const backends = [4, 8, 16, 32].map((c) => steady(40, c))
  // Service alone: 40·e^(0.3·2.326) ≈ 80.4 ms at p99. Round robin gives b0 125 req/s for 100 of capacity.
  const adaptive = mean('adaptive', backends, (r) => percentile(r, 99))
  const roundRobin = mean('round_robin', backends, (r) => percentile(r, 99))
  t.ok(adaptive < 80.4 * 1.05, `adaptive p99 ${adaptive.toFixed(1)} ms`)
  t.ok(roundRobin > 1_000, `round robin p99 ${roundRobin.toFixed(0)} ms (b0's queue grows without bound)`)
  t.ok(mean('adaptive', backends, (r) => share(r, 0)) < 0.2, 'b0 (capacity 100 req/s) gets under 20% of 500 req/s')
})

t.test('errors cut by at least 70% against round robin, by the policy alone', async (t) => {
  const cases: { name: string; backends: SimBackend[] }[] = [
    { name: 'b0 answers 30% 500s in alternate 5 s windows', backends: [b0((ms, rng) => (Math.floor(ms / 5_000) % 2 === 1 && rng.next() < 0.3 ? { kind: 'error' } : serve(10))), ...peers()] },
    { name: 'b0 refuses connections during 10-17 s', backends: [b0((ms) => (ms >= 10 * S && ms < 17 * S ? { kind: 'refuse' } : serve(10))), ...peers()] },
    { name: 'b0 hangs during 10-20 s', backends: [b0((ms) => (ms >= 10 * S && ms < 20 * S ? { kind: 'hang' } : serve(10))), ...peers()] },
  ]
  for (const c of cases) {
    const adaptive = mean('adaptive', c.backends, (r) => errorRate(r))
    const roundRobin = mean('round_robin', c.backends, (r) => errorRate(r))
    t.ok(adaptive <= roundRobin * 0.3, `${c.name}: ${(adaptive * 100).toFixed(2)}% against ${(roundRobin * 100).toFixed(2)}%`)
  }
})

t.test('a backend failing every request fast (connection refused) gets under 5% of picks after 1 s', async (t) => {
  const got = mean('adaptive', [b0(() => ({ kind: 'refuse' })), ...peers()], (r) => share(r, 0, 1 * S))
  t.ok(got < 0.05, `b0 share ${(got * 100).toFixed(2)}%`)
})

t.test('Thompson sampling finds a recovered backend again: its share returns', async (t) => {
  const cases: { name: string; backends: SimBackend[]; recoveredMs: number }[] = [
    { name: 'slow (100 ms) until 10 s, then fast', backends: [b0((ms) => serve(ms < 10 * S ? 100 : 10)), ...peers()], recoveredMs: 10 * S },
    { name: 'refusing during 10-17 s', backends: [b0((ms) => (ms >= 10 * S && ms < 17 * S ? { kind: 'refuse' } : serve(10))), ...peers()], recoveredMs: 17 * S },
  ]
  for (const c of cases) {
    for (const seed of SEEDS) {
      const requests = run('adaptive', c.backends, seed)
      const after = requests.filter((r) => r.arrivalMs >= c.recoveredMs)
      const firstPick = after.findIndex((r) => r.endpoint === 0 && r.status === 200)
      // 2,500 picks = 5 s at 500/s: the staleness variance makes a probe likely well within that.
      t.ok(firstPick >= 0 && firstPick < 2_500, `${c.name}, seed ${seed}: first good answer from b0 after ${firstPick} picks`)
      const later = share(requests, 0, c.recoveredMs + 8 * S)
      t.ok(later > 0.15, `${c.name}, seed ${seed}: b0 share from 8 s after recovery ${(later * 100).toFixed(1)}%`)
    }
  }
})
