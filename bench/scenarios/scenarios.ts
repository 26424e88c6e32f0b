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
  /** Always four; b0 is the one in trouble. */
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

export const SCENARIOS: readonly Scenario[] = [oneSlow, flapping, degradeThenDie, hang, unequalCapacity, killAndReturn]

export function scenarioNamed(name: string): Scenario {
  const found = SCENARIOS.find((s) => s.name === name)
  if (found === undefined) throw new Error(`unknown scenario "${name}"; known: ${SCENARIOS.map((s) => s.name).join(', ')}`)
  return found
}
