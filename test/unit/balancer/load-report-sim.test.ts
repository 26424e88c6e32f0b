import t from 'tap'
import { AdaptivePolicy } from '../../../src/balancer/policies/adaptive.js'
import type { Endpoint, PickContext, Policy } from '../../../src/balancer/types.js'
import { ManualClock } from '../../../src/util/clock.js'
import type { Outcome } from '../../../src/util/outcome.js'
import { SeededRng } from '../../../src/util/rng.js'
import { ADAPTIVE, percentile, share, simulate, steady, type SimBackend, type SimRequest } from './adaptive-sim.js'

/**
 * Whether the adaptive model uses a backend's own load report. b0 reports a CPU rising from 0.3 at 5 s to
 * 0.95 at 20 s while it still answers in 20 ms, then its latency climbs to 80 ms by 35 s (a backend that
 * heats up before it slows down); b1, b2 report 0.3 and answer in 20 ms throughout. The same seeded runs
 * with loadReport.weight 1 (the default) and without reports: with them, b0's share must fall while its CPU rises and
 * before its latency does.
 */
const RATE = 300
const DURATION_MS = 40_000
const SEEDS = [1, 2, 3]

const ramp = (tMs: number, fromMs: number, toMs: number, a: number, b: number) => a + (b - a) * Math.min(1, Math.max(0, (tMs - fromMs) / (toMs - fromMs)))
const cpu = (index: number, tMs: number) => (index === 0 ? ramp(tMs, 5_000, 20_000, 0.3, 0.95) : 0.3)
const HEATING: SimBackend = { capacity: Infinity, behaviourAt: (tMs) => ({ kind: 'serve', medianMs: ramp(tMs, 20_000, 35_000, 20, 80) }) }

/** The adaptive policy, with every answer's report passed to its manager as Cluster.observeLoad does. */
class ReportingPolicy implements Policy {
  readonly name = 'adaptive'

  constructor(
    private readonly inner: AdaptivePolicy,
    private readonly clock: ManualClock,
  ) {}

  rebuild(available: readonly Endpoint[]): void {
    this.inner.rebuild(available)
  }

  pick(available: readonly Endpoint[], ctx: PickContext): Endpoint | null {
    return this.inner.pick(available, ctx)
  }

  observe(e: Endpoint, latencyMs: number, status: number, outcome: Outcome, nowMs: number): void {
    this.inner.manager.observeLoad(e.index, cpu(e.index, this.clock.now()), nowMs)
    this.inner.observe(e, latencyMs, status, outcome, nowMs)
  }

  tick(nowMs: number): void {
    this.inner.tick(nowMs)
  }
}

function run(weight: number, seed: number): SimRequest[] {
  const clock = new ManualClock(0)
  const inner = new AdaptivePolicy(ADAPTIVE, { clock, rng: new SeededRng(seed * 7) })
  inner.manager.setLoadWeight(weight)
  return simulate({ policy: new ReportingPolicy(inner, clock), clock, backends: [HEATING, steady(20), steady(20)], ratePerS: RATE, durationMs: DURATION_MS, seed })
}

t.test('a rising CPU report moves traffic away before the latency rises', async (t) => {
  for (const seed of SEEDS) {
    const without = run(0, seed)
    const withReports = run(1, seed)
    const before = (rs: SimRequest[]) => share(rs, 0, 0, 5_000)
    const heating = (rs: SimRequest[]) => share(rs, 0, 12_000, 20_000)
    const slowing = (rs: SimRequest[]) => share(rs, 0, 20_000, 30_000)
    t.ok(Math.abs(before(withReports) - before(without)) < 0.1, `seed ${seed}: equal reports change nothing (${before(without).toFixed(2)} vs ${before(withReports).toFixed(2)})`)
    t.ok(heating(without) > 0.25, `seed ${seed}: without reports b0 keeps its share while it heats: ${heating(without).toFixed(2)}`)
    t.ok(heating(withReports) < heating(without) - 0.1, `seed ${seed}: with reports b0 gets ${heating(withReports).toFixed(2)} while it heats, against ${heating(without).toFixed(2)}`)
    t.ok(slowing(withReports) <= slowing(without) + 0.02, `seed ${seed}: and no more once it slows (${slowing(withReports).toFixed(2)} vs ${slowing(without).toFixed(2)})`)
    t.ok(percentile(withReports, 99, 20_000, 30_000) <= percentile(without, 99, 20_000, 30_000) * 1.1, `seed ${seed}: p99 while it slows ${percentile(withReports, 99, 20_000, 30_000).toFixed(1)} vs ${percentile(without, 99, 20_000, 30_000).toFixed(1)} ms`)
  }
})
