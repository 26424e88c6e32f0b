import { defaultPolicy } from '../../../src/config/build.js'
import type { Endpoint, PickContext, Policy } from '../../../src/balancer/types.js'
import { Outcome } from '../../../src/util/outcome.js'
import { sampleNormal } from '../../../src/model/gaussian.js'
import type { ProbeOutcome, ProbeTarget } from '../../../src/model/probe-target.js'
import type { ManualClock } from '../../../src/util/clock.js'
import { SeededRng } from '../../../src/util/rng.js'
import { makeEndpoints } from '../../helpers/endpoints.js'

/**
 * A discrete-event simulation of a policy in front of scripted backends, on a ManualClock (no sockets):
 * Poisson arrivals, each backend a FIFO queue in front of `capacity` parallel slots, failures as the
 * scenario bench scripts them (bench/scenarios). The policy sees exactly what the proxy would give it:
 * pick, in-flight counts, observe at response headers (or failure), tick every second, and, when the
 * policy wants timed probes (AdaptivePolicy.probes), the model prober's rounds: every interval / 2 each
 * endpoint it asks for gets a probe served like a request (taking a slot), its result told at the end.
 */

/** The adaptive policy with the config's defaults. */
export const ADAPTIVE = defaultPolicy('adaptive')

/** What a backend does with a request that arrives at tMs (ms since the start). */
export type Behaviour =
  | { kind: 'serve'; medianMs: number }
  /** An immediate 500. */
  | { kind: 'error' }
  /** Connection refused: fails after CONNECT_FAIL_MS. */
  | { kind: 'refuse' }
  /** Accepted, never answered: the proxy's timeout ends it. */
  | { kind: 'hang' }

export interface SimBackend {
  /** Requests served at once; the rest wait in FIFO order. Infinity for no limit. */
  capacity: number
  behaviourAt(tMs: number, rng: SeededRng): Behaviour
}

export interface SimOptions {
  policy: Policy
  clock: ManualClock
  backends: readonly SimBackend[]
  ratePerS: number
  durationMs: number
  seed: number
  /** σ of ln(service time): 0.3 as in the scenario bench (p99 ≈ 2 × median). */
  sigma?: number
}

/** One request as the client saw it. */
export interface SimRequest {
  arrivalMs: number
  latencyMs: number
  /** 200, 500, 502 (refused) or 504 (timeout). */
  status: number
  endpoint: number
}

/** Upstream timeout, ms, as in the scenario bench. */
export const TIMEOUT_MS = 2_000
const CONNECT_FAIL_MS = 1
const ERROR_MS = 0.5
const TICK_MS = 1_000
const FIRST_TRY: PickContext = { hashKey: 0, attempt: 0, exclude: -1 }

export interface Event {
  timeMs: number
  /** −1: an arrival; −2: a tick; −3: a probe round; ≤ PROBE_END: the probe of endpoint PROBE_END − what ending; otherwise a request index finishing. */
  what: number
  outcome: Outcome
  /** A probe's latency, ms. */
  latencyMs?: number
}

const PROBE_END = -10

/** How the model prober reads a probe's end (health/model-prober.ts outcomeOf). */
function probeOutcome(outcome: Outcome): ProbeOutcome {
  if (outcome === Outcome.Success) return 'ok'
  if (outcome === Outcome.HttpError) return 'error'
  if (outcome === Outcome.Timeout) return 'stall'
  return 'gateway'
}

export function simulate(options: SimOptions): SimRequest[] {
  const { policy, clock, backends, ratePerS, durationMs } = options
  const sigma = options.sigma ?? 0.3
  const rng = new SeededRng(options.seed)
  const start = clock.now()
  const endpoints = makeEndpoints(backends.map(() => 1))
  const slots = backends.map((b) => (Number.isFinite(b.capacity) ? new Array<number>(b.capacity).fill(start) : null))
  policy.rebuild(endpoints)
  const requests: SimRequest[] = []
  const queue = new EventQueue()
  queue.push({ timeMs: start, what: -1, outcome: Outcome.Success })
  queue.push({ timeMs: start + TICK_MS, what: -2, outcome: Outcome.Success })
  const probes = (policy as { probes?: ProbeTarget | null }).probes ?? null
  const probing = new Uint8Array(backends.length)
  if (probes !== null) queue.push({ timeMs: start + probes.intervalMs / 2, what: -3, outcome: Outcome.Success })
  for (let event = queue.pop(); event !== undefined; event = queue.pop()) {
    clock.set(event.timeMs)
    const now = event.timeMs
    if (probes !== null && event.what <= PROBE_END) {
      const i = PROBE_END - event.what
      probing[i] = 0
      probes.onProbe(i, event.latencyMs ?? 0, probeOutcome(event.outcome), now)
    } else if (probes !== null && event.what === -3) {
      for (let i = 0; i < backends.length; i++) {
        if (probing[i] === 1 || !probes.wantsProbe(i, now)) continue
        probing[i] = 1
        const done = dispatch(backends[i].behaviourAt(now - start, rng), slots[i], now, sigma, rng)
        queue.push({ timeMs: done.atMs, what: PROBE_END - i, outcome: done.outcome, latencyMs: done.atMs - now })
      }
      if (now + probes.intervalMs / 2 < start + durationMs) queue.push({ timeMs: now + probes.intervalMs / 2, what: -3, outcome: Outcome.Success })
    } else if (event.what === -2) {
      policy.tick(now)
      if (now + TICK_MS < start + durationMs) queue.push({ timeMs: now + TICK_MS, what: -2, outcome: Outcome.Success })
    } else if (event.what === -1) {
      const e = policy.pick(endpoints, FIRST_TRY) as Endpoint
      e.inflight++
      const done = dispatch(backends[e.index].behaviourAt(now - start, rng), slots[e.index], now, sigma, rng)
      requests.push({ arrivalMs: now - start, latencyMs: done.atMs - now, status: STATUS[done.outcome], endpoint: e.index })
      queue.push({ timeMs: done.atMs, what: requests.length - 1, outcome: done.outcome })
      const next = now - (Math.log(1 - rng.next()) / ratePerS) * 1_000
      if (next < start + durationMs) queue.push({ timeMs: next, what: -1, outcome: Outcome.Success })
    } else {
      const r = requests[event.what]
      const e = endpoints[r.endpoint]
      policy.observe(e, r.latencyMs, r.status, event.outcome, now)
      e.inflight--
    }
  }
  return requests
}

const STATUS: Record<Outcome, number> = {
  [Outcome.Success]: 200,
  [Outcome.HttpError]: 500,
  [Outcome.ConnectFailure]: 502,
  [Outcome.Timeout]: 504,
  [Outcome.Reset]: 502,
  [Outcome.ClientAbort]: 499,
}

/** When and how the request ends, taking a FIFO slot (the earliest free) when the backend has a limit. */
function dispatch(b: Behaviour, slots: number[] | null, nowMs: number, sigma: number, rng: SeededRng): { atMs: number; outcome: Outcome } {
  if (b.kind === 'error') return { atMs: nowMs + ERROR_MS, outcome: Outcome.HttpError }
  if (b.kind === 'refuse') return { atMs: nowMs + CONNECT_FAIL_MS, outcome: Outcome.ConnectFailure }
  if (b.kind === 'hang') return { atMs: nowMs + TIMEOUT_MS, outcome: Outcome.Timeout }
  const serviceMs = b.medianMs * Math.exp(sigma * sampleNormal(rng))
  let startMs = nowMs
  if (slots !== null) {
    let k = 0
    for (let j = 1; j < slots.length; j++) if (slots[j] < slots[k]) k = j
    startMs = Math.max(nowMs, slots[k])
    // A request whose caller gave up while it waited is dropped when its turn comes: it takes no slot.
    if (startMs - nowMs >= TIMEOUT_MS) return { atMs: nowMs + TIMEOUT_MS, outcome: Outcome.Timeout }
    slots[k] = startMs + serviceMs
  }
  const endMs = startMs + serviceMs
  return endMs - nowMs > TIMEOUT_MS ? { atMs: nowMs + TIMEOUT_MS, outcome: Outcome.Timeout } : { atMs: endMs, outcome: Outcome.Success }
}

/** A binary min-heap of events by time (ties in insertion order do not matter here); also the fleet simulation's (test/unit/scaling). */
export class EventQueue<E extends { timeMs: number } = Event> {
  private readonly heap: E[] = []

  push(e: E): void {
    const h = this.heap
    h.push(e)
    let k = h.length - 1
    while (k > 0) {
      const parent = (k - 1) >> 1
      if (h[parent].timeMs <= h[k].timeMs) break
      ;[h[parent], h[k]] = [h[k], h[parent]]
      k = parent
    }
  }

  pop(): E | undefined {
    const h = this.heap
    const top = h[0]
    const last = h.pop()
    if (h.length > 0 && last !== undefined) {
      h[0] = last
      let k = 0
      for (;;) {
        const l = 2 * k + 1
        const r = l + 1
        let m = k
        if (l < h.length && h[l].timeMs < h[m].timeMs) m = l
        if (r < h.length && h[r].timeMs < h[m].timeMs) m = r
        if (m === k) break
        ;[h[m], h[k]] = [h[k], h[m]]
        k = m
      }
    }
    return top
  }
}

/** A backend with the same behaviour throughout. */
export function steady(medianMs: number, capacity = Infinity): SimBackend {
  return { capacity, behaviourAt: () => ({ kind: 'serve', medianMs }) }
}

/** The p-th percentile (0..100) of the latencies of requests arriving in [fromMs, toMs), nearest rank. */
export function percentile(requests: readonly SimRequest[], p: number, fromMs = 0, toMs = Infinity): number {
  const xs = requests.filter((r) => r.arrivalMs >= fromMs && r.arrivalMs < toMs).map((r) => r.latencyMs)
  xs.sort((a, b) => a - b)
  return xs[Math.min(xs.length - 1, Math.max(0, Math.ceil((p / 100) * xs.length) - 1))]
}

/** Fraction of requests arriving in [fromMs, toMs) not answered 200. */
export function errorRate(requests: readonly SimRequest[], fromMs = 0, toMs = Infinity): number {
  const window = requests.filter((r) => r.arrivalMs >= fromMs && r.arrivalMs < toMs)
  return window.filter((r) => r.status !== 200).length / window.length
}

/** Fraction of requests arriving in [fromMs, toMs) sent to endpoint `index`. */
export function share(requests: readonly SimRequest[], index: number, fromMs = 0, toMs = Infinity): number {
  const window = requests.filter((r) => r.arrivalMs >= fromMs && r.arrivalMs < toMs)
  return window.filter((r) => r.endpoint === index).length / window.length
}
