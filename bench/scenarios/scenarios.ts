import { HANGING, REFUSING, serving, steady, type BackendScript, type Phase } from './backend-script.js'

/** A stretch of the reference timeline reported on its own (p99, error %, b0's share), reference seconds. */
export interface Window {
  readonly label: string
  readonly fromS: number
  readonly toS: number
}

export interface Scenario {
  /** The --scenarios name. */
  readonly name: string
  /** One line for the table heading. */
  readonly summary: string
  /** Four in the first six scenarios, 8 or 32 in exploration's; b0 is (one of) the one(s) in trouble. */
  readonly backends: readonly BackendScript[]
  readonly windows: readonly Window[]
  /** Reference second at which b0 starts refusing connections (what a predictive drain should beat); null if it never does. */
  readonly refusesAtS: number | null
}

/** ms per reference second, for readable timelines. */
const S = 1_000
/** Median service time of a healthy backend, ms. */
const HEALTHY_MS = 10
const HEALTHY = serving(HEALTHY_MS)

function healthyPeers(medianMs = HEALTHY_MS): BackendScript[] {
  return ['b1', 'b2', 'b3'].map((name) => steady(name, medianMs))
}

/** b0 with its own timeline, no capacity limit. */
function troubled(phaseAt: (ms: number) => Phase): BackendScript {
  return { name: 'b0', capacity: Infinity, phaseAt }
}

const oneSlow: Scenario = {
  name: 'one-slow',
  summary: `b0 median ${10 * HEALTHY_MS} ms, b1-b3 ${HEALTHY_MS} ms, all run long`,
  backends: [steady('b0', 10 * HEALTHY_MS), ...healthyPeers()],
  windows: [],
  refusesAtS: null,
}

const FLAP_WINDOW_MS = 5 * S
const FLAP_ERROR_RATE = 0.3
const flapFailing = serving(HEALTHY_MS, FLAP_ERROR_RATE)

const flapping: Scenario = {
  name: 'flapping',
  summary: `b0 fails ${FLAP_ERROR_RATE * 100}% fast with 500 in alternate 5 s windows (healthy 0-5 s, failing 5-10 s, ...)`,
  // Odd windows fail, so the policies first see b0 healthy.
  backends: [troubled((ms) => (Math.floor(ms / FLAP_WINDOW_MS) % 2 === 1 ? flapFailing : HEALTHY)), ...healthyPeers()],
  windows: [
    { label: 'failing', fromS: 5, toS: 10 },
    { label: 'healthy again', fromS: 10, toS: 15 },
  ],
  refusesAtS: null,
}

const RAMP_FROM_MS = 5
const RAMP_TO_MS = 200
const RAMP_END_MS = 20 * S

const degradeThenDie: Scenario = {
  name: 'degrade-then-die',
  summary: `b0 median ramps ${RAMP_FROM_MS} -> ${RAMP_TO_MS} ms over 0-20 s, then refuses connections; b1-b3 ${RAMP_FROM_MS} ms`,
  backends: [
    troubled((ms) => (ms < RAMP_END_MS ? serving(RAMP_FROM_MS + ((RAMP_TO_MS - RAMP_FROM_MS) * ms) / RAMP_END_MS) : REFUSING)),
    ...healthyPeers(RAMP_FROM_MS),
  ],
  windows: [
    { label: 'before death', fromS: 0, toS: 20 },
    { label: 'dead', fromS: 20, toS: 30 },
  ],
  refusesAtS: RAMP_END_MS / S,
}

const HANG_FROM_MS = 10 * S
const HANG_TO_MS = 20 * S

const hang: Scenario = {
  name: 'hang',
  summary: `b0 accepts and never answers during 10-20 s, then recovers; all ${HEALTHY_MS} ms otherwise`,
  backends: [troubled((ms) => (ms >= HANG_FROM_MS && ms < HANG_TO_MS ? HANGING : HEALTHY)), ...healthyPeers()],
  windows: [
    { label: 'hanging', fromS: 10, toS: 20 },
    { label: 'recovered', fromS: 21, toS: 30 },
  ],
  refusesAtS: null,
}

/** Service time of every unequal-capacity backend, ms: capacities 4..32 serve 100..800 req/s. */
export const CAPACITY_SERVICE_MS = 40

const unequalCapacity: Scenario = {
  name: 'unequal-capacity',
  summary: `b0..b3 serve 4, 8, 16, 32 requests at once (${CAPACITY_SERVICE_MS} ms each, 100..800 req/s), queue FIFO beyond`,
  backends: [4, 8, 16, 32].map((capacity, i) => steady(`b${i}`, CAPACITY_SERVICE_MS, capacity)),
  windows: [],
  refusesAtS: null,
}

const KILL_FROM_MS = 10 * S
const KILL_TO_MS = 17 * S

const killAndReturn: Scenario = {
  name: 'kill-and-return',
  summary: `b0 refuses connections during 10-17 s, then listens again on the same port; all ${HEALTHY_MS} ms`,
  backends: [troubled((ms) => (ms >= KILL_FROM_MS && ms < KILL_TO_MS ? REFUSING : HEALTHY)), ...healthyPeers()],
  windows: [
    { label: 'dead', fromS: 10, toS: 17 },
    { label: 'returned', fromS: 18, toS: 30 },
  ],
  refusesAtS: KILL_FROM_MS / S,
}

/** Backends b0..b(n−1): the first `slow` of them 10× slower (from fromS on, reference seconds), the others healthy. */
function pool(n: number, slow: number, fromS = 0): BackendScript[] {
  const slowPhase = serving(10 * HEALTHY_MS)
  return Array.from({ length: n }, (_, i) =>
    i < slow ? { name: `b${i}`, capacity: Infinity, phaseAt: (ms: number) => (ms >= fromS * S ? slowPhase : HEALTHY) } : steady(`b${i}`, HEALTHY_MS),
  )
}

/**
 * Exploration's scenarios (the slow ones are b0 first: the window tables show b0): several slow at once,
 * half the pool slow from the start, a pool of 32, a backend slow for 8 s that recovers, a rolling restart.
 * What a good policy does in all of them: the p99 stays near the healthy backends' own
 * (serviceTimeP99Ms(10) = 20.1 ms, the 1.3× target is 26.1 ms) and a recovered backend gets its share back.
 */
const severalSlow: Scenario = {
  name: 'several-slow',
  summary: `b0-b2 of 8 median ${10 * HEALTHY_MS} ms, b3-b7 ${HEALTHY_MS} ms, all run long`,
  backends: pool(8, 3),
  windows: [],
  refusesAtS: null,
}

const halfSlow: Scenario = {
  name: 'half-slow',
  summary: `b0-b3 of 8 median ${10 * HEALTHY_MS} ms from the start, b4-b7 ${HEALTHY_MS} ms`,
  backends: pool(8, 4),
  windows: [],
  refusesAtS: null,
}

const bigPool: Scenario = {
  name: 'pool-32',
  summary: `32 backends: b0-b15 median ${10 * HEALTHY_MS} ms from 10 s on, the others ${HEALTHY_MS} ms`,
  backends: pool(32, 16, 10),
  windows: [
    { label: 'all healthy', fromS: 0, toS: 10 },
    { label: 'half slow', fromS: 11, toS: 30 },
  ],
  refusesAtS: null,
}

const RECOVER_SLOW_FROM_MS = 8 * S
const RECOVER_AT_MS = 16 * S

const slowThenRecovered: Scenario = {
  name: 'slow-then-recovered',
  summary: `b0 median ${12 * HEALTHY_MS} ms (12×) during 8-16 s, then ${HEALTHY_MS} ms again; b1-b3 ${HEALTHY_MS} ms`,
  backends: [troubled((ms) => (ms >= RECOVER_SLOW_FROM_MS && ms < RECOVER_AT_MS ? serving(12 * HEALTHY_MS) : HEALTHY)), ...healthyPeers()],
  windows: [
    { label: 'slow', fromS: 8, toS: 16 },
    { label: 'recovered 2-10 s', fromS: 18, toS: 26 },
  ],
  refusesAtS: null,
}

/** Each backend in turn stops listening for 3 s (a rolling restart), 6 s apart: b0 at 5 s, b1 at 11 s, b2 at 17 s, b3 at 23 s. */
const RESTART_MS = 3 * S
function restarting(i: number): BackendScript {
  const fromMs = (5 + 6 * i) * S
  return { name: `b${i}`, capacity: Infinity, phaseAt: (ms) => (ms >= fromMs && ms < fromMs + RESTART_MS ? REFUSING : HEALTHY) }
}

const rollingRestart: Scenario = {
  name: 'rolling-restart',
  summary: `each backend refuses connections for 3 s in turn (b0 5-8 s, b1 11-14 s, b2 17-20 s, b3 23-26 s); ${HEALTHY_MS} ms otherwise`,
  backends: [0, 1, 2, 3].map(restarting),
  windows: [
    { label: 'b0 restarting', fromS: 5, toS: 8 },
    { label: 'b0 back', fromS: 9, toS: 17 },
  ],
  refusesAtS: null,
}

export const SCENARIOS: readonly Scenario[] = [
  oneSlow,
  flapping,
  degradeThenDie,
  hang,
  unequalCapacity,
  killAndReturn,
  severalSlow,
  halfSlow,
  bigPool,
  slowThenRecovered,
  rollingRestart,
]

export function scenarioNamed(name: string): Scenario {
  const found = SCENARIOS.find((s) => s.name === name)
  if (found === undefined) throw new Error(`unknown scenario "${name}"; known: ${SCENARIOS.map((s) => s.name).join(', ')}`)
  return found
}
