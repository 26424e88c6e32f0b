import t from 'tap'
import { DEFAULT_SCALING } from '../../../src/config/build-scaling.js'
import type { ScalingConfig } from '../../../src/config/types.js'
import { p99After, simulateFleet, type FleetOptions } from './fleet-sim.js'

/**
 * The recommendation against the truth on a simulated fleet (fleet-sim.ts: a deterministic queueing
 * simulation fed to the real estimator, rather than real servers: minutes of ramp in a second of CPU, the
 * same numbers every run on a shared 2-core machine, and the true minimum measured by the same simulation).
 * Backends of known capacity, load ramping, and the fleet following the recommendation 30 s after each change
 * (an autoscaler). At each checkpoint the published count must be within one of the fewest backends that hold
 * the p99 target at the load `horizon` later (measured by steady runs of the same simulation at that load).
 */
const CHECKPOINTS_MS = [180_000, 240_000, 300_000, 360_000, 420_000, 480_000, 540_000, 600_000]
const MAX_ENDPOINTS = 16
const HORIZON_MS = 120_000

interface Scenario {
  name: string
  backend: { slots: number; serviceMs: number; sigma: number }
  targetP99Ms: number
  rate: (tMs: number) => number
  initialEndpoints: number
  seed: number
}

const SCENARIOS: Scenario[] = [
  {
    name: '8 slots × 50 ms (160 rps each), p99 ≤ 250 ms, 100 → 1000 rps over 10 min from 2 endpoints',
    backend: { slots: 8, serviceMs: 50, sigma: 0.1 },
    targetP99Ms: 250,
    rate: (tMs) => 100 + 900 * Math.min(1, tMs / 600_000),
    initialEndpoints: 2,
    seed: 3,
  },
  {
    name: '4 slots × 20 ms (200 rps each), p99 ≤ 100 ms, 200 → 1400 rps over 10 min from 8 endpoints (the knee unseen at first)',
    backend: { slots: 4, serviceMs: 20, sigma: 0.2 },
    targetP99Ms: 100,
    rate: (tMs) => 200 + 1_200 * Math.min(1, tMs / 600_000),
    initialEndpoints: 8,
    seed: 5,
  },
]

/** Fewest backends whose p99 stays ≤ the target at `rps` (steady 70 s runs, the first 10 s discarded). */
function fewestBackends(s: Scenario, rps: number): number {
  const perBackend = (s.backend.slots / s.backend.serviceMs) * 1_000
  for (let n = Math.max(1, Math.floor(rps / perBackend)); n <= MAX_ENDPOINTS; n++) {
    const run = simulateFleet({ ...s.backend, rate: () => rps, durationMs: 70_000, seed: 11, initialEndpoints: n, maxEndpoints: n, provisionDelayMs: null, scaling: null })
    if (p99After(run, 10_000) <= s.targetP99Ms) return n
  }
  throw new Error(`no fleet of up to ${MAX_ENDPOINTS} holds ${rps} rps`)
}

for (const scenario of SCENARIOS) t.test(scenario.name, async (t) => {
  const SCALING: ScalingConfig = { ...DEFAULT_SCALING, targetP99Ms: scenario.targetP99Ms, horizonMs: HORIZON_MS }
  const rate = scenario.rate
  const seen = new Map<number, { recommended: number | null; active: number; forecast: number | null; capacity: number | null }>()
  const options: FleetOptions = {
    ...scenario.backend,
    rate,
    durationMs: CHECKPOINTS_MS.at(-1)! + 1_000,
    seed: scenario.seed,
    initialEndpoints: scenario.initialEndpoints,
    maxEndpoints: MAX_ENDPOINTS,
    provisionDelayMs: 30_000,
    scaling: SCALING,
    onTick: (tMs, scaling, active) => {
      if (!CHECKPOINTS_MS.includes(Math.round(tMs))) return
      const s = scaling.describe()
      seen.set(Math.round(tMs), { recommended: s.recommendedEndpoints, active, forecast: s.forecastRps, capacity: s.capacityRpsPerEndpoint })
    },
  }
  simulateFleet(options)
  for (const at of CHECKPOINTS_MS) {
    const got = seen.get(at)!
    const truth = fewestBackends(scenario, rate(at + SCALING.horizonMs))
    const line = `t=${at / 1_000}s: recommended ${got.recommended} (fleet ${got.active}, forecast ${got.forecast?.toFixed(0)} rps for a true ${rate(at + SCALING.horizonMs)}, ${got.capacity?.toFixed(0)} rps each), true minimum ${truth}`
    t.ok(got.recommended !== null && Math.abs(got.recommended - truth) <= 1, line)
  }
})
