import type { Outcome } from '../util/outcome.js'

/** One backend address in one upstream. Long-lived and fixed-shape: created once per config snapshot. */
export interface Endpoint {
  /** "host:port", or the name given in config. */
  readonly id: string
  /** Dense index into the typed arrays that hold per-endpoint state; 0..n-1 within its upstream. */
  readonly index: number
  /** Configured weight, a positive integer. */
  readonly weight: number
  /** Requests sent to this endpoint and not yet finished. */
  inflight: number
}

/** Per-pick inputs; fields always set, never undefined. */
export interface PickContext {
  /** 0 when unused. */
  hashKey: number
  /** 0 on the first try. */
  attempt: number
  /**
   * Endpoint index to avoid, -1 for none: on a retry or hedge (attempt ≥ 1) the one that failed or is still
   * waiting; on a first try (attempt 0) only when the balancer re-picks to replace the pick it just got
   * (slow start), which lets a stateful policy give that turn back.
   */
  exclude: number
}

/** The last pick of a policy that compares candidates: each candidate's sampled cost, and the choice. */
export interface PickExplanation {
  candidates: { index: number; id: string; sampledCostMs: number }[]
  chosen: string
  /** Probability the pair was drawn, when the draw is not uniform (else 2 / (n(n−1)) is assumed). */
  pairProbability?: number
  /** Probability the chosen candidate was taken given the pair, when the policy knows it exactly. */
  choiceProbability?: number
}

export interface Policy {
  /** The name used in YAML. */
  readonly name: string
  /** Called off the hot path whenever the available set changes (health or config). */
  rebuild(available: readonly Endpoint[]): void
  /** No allocation, no throw, no I/O. Only called with 2 or more endpoints: the Balancer short-cuts 0 and 1. */
  pick(available: readonly Endpoint[], ctx: PickContext): Endpoint | null
  /** O(1): record how a request to `e` went. latencyMs is time to response headers (or failure). */
  observe(e: Endpoint, latencyMs: number, status: number, outcome: Outcome, nowMs: number): void
  /** Decay, refits, forecasts: on a timer, never per request. */
  tick(nowMs: number): void
  /** Why this endpoint scores as it does: for the admin API and debug headers. */
  explain?(e: Endpoint): Record<string, number>
  /** The candidates and costs behind the latest pick (allocates: debug only); null before any pick. */
  explainPick?(): PickExplanation | null
  /**
   * After a config reload rebuilt the upstream: take over what `previous` (the policy it replaces, possibly
   * of another kind: then nothing is taken) learned about the endpoints that stayed. from[j] is endpoint
   * j's index in the previous set, −1 for a new one. Off the hot path.
   */
  adopt?(previous: Policy, from: Int32Array): void
}
