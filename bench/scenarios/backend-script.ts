/**
 * What a scripted backend does, as a function of time. Times are on the scenario's reference
 * timeline (see timeline.ts), so one script serves any --duration.
 */

/**
 * The path a backend answers for active health checks: 200 at once (no service time, no scripted 500s)
 * while it serves, never while it hangs, refused while it refuses; what a process's liveness page reports.
 */
export const HEALTH_PATH = '/healthz'

/** serve: answer after the service time; refuse: not listening, connects are refused; hang: accept, never answer. */
export type Mode = 'serve' | 'refuse' | 'hang'

/** The behaviour in force at one instant. Fixed shape: every field set in every phase. */
export interface Phase {
  readonly mode: Mode
  /** Median of the lognormal service time, ms. */
  readonly medianMs: number
  /** Fraction 0..1 of requests answered 500 at once (a fast failure, the trap for latency-led policies). */
  readonly errorRate: number
}

export interface BackendScript {
  /** Sent back in the `x-backend` header so the load generator knows who answered. */
  readonly name: string
  /** Requests served at once; later ones wait FIFO. Infinity for no limit. */
  readonly capacity: number
  /** The phase at `referenceMs` since the measured load began (0 during warm-up). */
  phaseAt(referenceMs: number): Phase
}

export function serving(medianMs: number, errorRate = 0): Phase {
  return { mode: 'serve', medianMs, errorRate }
}

export const REFUSING: Phase = { mode: 'refuse', medianMs: 0, errorRate: 0 }
export const HANGING: Phase = { mode: 'hang', medianMs: 0, errorRate: 0 }

/** A backend that behaves the same for the whole run. */
export function steady(name: string, medianMs: number, capacity = Infinity): BackendScript {
  const phase = serving(medianMs)
  return { name, capacity, phaseAt: () => phase }
}
