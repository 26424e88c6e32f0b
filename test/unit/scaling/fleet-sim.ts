import type { ScalingConfig } from '../../../src/config/types.js'
import { EndpointStats } from '../../../src/metrics/endpoint-stats.js'
import { sampleNormal } from '../../../src/model/gaussian.js'
import { UpstreamScaling } from '../../../src/scaling/upstream-scaling.js'
import { SeededRng } from '../../../src/util/rng.js'
import { EventQueue } from '../balancer/adaptive-sim.js'

/**
 * A deterministic queueing simulation of a fleet of identical backends behind a least-request balancer, fed
 * to the real scaling signal (UpstreamScaling) exactly as a Cluster feeds it: real EndpointStats recorded at
 * each answer, rolled over every 10 s, a tick every second.
 * Backends have `slots` parallel slots and a log-normal service time; arrivals are Poisson at rate(t).
 * With `provisionDelayMs` the fleet follows the published recommendation after that delay (an autoscaler).
 */
export interface FleetOptions {
  slots: number
  serviceMs: number
  /** σ of ln(service time). */
  sigma: number
  /** Requests per second at t ms since the start. */
  rate: (tMs: number) => number
  durationMs: number
  seed: number
  initialEndpoints: number
  maxEndpoints: number
  /** null: the fleet keeps its size; else it is resized to the recommendation this long after each change. */
  provisionDelayMs: number | null
  /** null: no scaling signal (a steady run to measure the p99). */
  scaling: ScalingConfig | null
  /** Called after each tick's scaling update. */
  onTick?: (tMs: number, scaling: UpstreamScaling, active: number) => void
}

interface SimEvent {
  timeMs: number
  /** −1 arrival, −2 tick, −3 resize, else a backend index finishing a request that arrived at `arrivalMs`. */
  what: number
  arrivalMs: number
}

interface Backend {
  id: string
  stats: EndpointStats
  inflight: number
  /** When each slot is next free, ms (FIFO: a request takes the earliest). */
  slots: number[]
}

const TICK_MS = 1_000
const ROLLOVER_MS = 10_000

/** Runs the simulation; returns each request's [arrival ms, latency ms]. */
export function simulateFleet(o: FleetOptions): { arrivals: Float64Array; latencies: Float64Array } {
  const rng = new SeededRng(o.seed)
  const backends: Backend[] = []
  const newBackend = (i: number): Backend => ({ id: `b${i}`, stats: new EndpointStats(0), inflight: 0, slots: new Array<number>(o.slots).fill(0) })
  for (let i = 0; i < o.maxEndpoints; i++) backends.push(newBackend(i))
  let active = o.initialEndpoints
  let target = active
  const scaling = o.scaling === null ? null : new UpstreamScaling('sim', o.scaling, () => {})
  const view = { name: 'sim', endpoints: backends.slice(0, active) }
  const arrivals: number[] = []
  const latencies: number[] = []
  const queue = new EventQueue<SimEvent>()
  queue.push({ timeMs: 0, what: -1, arrivalMs: 0 })
  queue.push({ timeMs: TICK_MS, what: -2, arrivalMs: 0 })
  let nextRollover = ROLLOVER_MS
  for (let e = queue.pop(); e !== undefined; e = queue.pop()) {
    const now = e.timeMs
    while (now >= nextRollover) {
      for (const b of backends) b.stats.rollover(nextRollover)
      nextRollover += ROLLOVER_MS
    }
    if (e.what === -1) {
      let best = 0
      for (let i = 1; i < active; i++) if (backends[i].inflight < backends[best].inflight) best = i
      const b = backends[best]
      let k = 0
      for (let j = 1; j < b.slots.length; j++) if (b.slots[j] < b.slots[k]) k = j
      const start = Math.max(now, b.slots[k])
      const end = start + o.serviceMs * Math.exp(o.sigma * sampleNormal(rng))
      b.slots[k] = end
      b.inflight++
      queue.push({ timeMs: end, what: best, arrivalMs: now })
      const next = now - (Math.log(1 - rng.next()) / o.rate(now)) * 1_000
      if (next < o.durationMs) queue.push({ timeMs: next, what: -1, arrivalMs: next })
    } else if (e.what === -2) {
      if (scaling !== null) {
        view.endpoints = backends.slice(0, active)
        const before = scaling.recommended()
        scaling.tick(now, view)
        const after = scaling.recommended()
        if (o.provisionDelayMs !== null && after !== null && after !== before) queue.push({ timeMs: now + o.provisionDelayMs, what: -3, arrivalMs: after })
        o.onTick?.(now, scaling, active)
      }
      if (now + TICK_MS < o.durationMs) queue.push({ timeMs: now + TICK_MS, what: -2, arrivalMs: 0 })
    } else if (e.what === -3) {
      target = Math.min(o.maxEndpoints, Math.max(1, e.arrivalMs))
      for (let i = active; i < target; i++) if (backends[i].inflight === 0) backends[i] = newBackend(i) // a new instance
      active = target
    } else {
      const b = backends[e.what]
      const latency = now - e.arrivalMs
      b.inflight--
      b.stats.recordResponse(200, latency)
      arrivals.push(e.arrivalMs)
      latencies.push(latency)
    }
  }
  return { arrivals: Float64Array.from(arrivals), latencies: Float64Array.from(latencies) }
}

/** The p99 (nearest rank) of the latencies of requests that arrived at or after fromMs. */
export function p99After(run: { arrivals: Float64Array; latencies: Float64Array }, fromMs: number): number {
  const xs: number[] = []
  for (let k = 0; k < run.arrivals.length; k++) if (run.arrivals[k] >= fromMs) xs.push(run.latencies[k])
  xs.sort((a, b) => a - b)
  return xs[Math.min(xs.length - 1, Math.ceil(0.99 * xs.length) - 1)]
}
