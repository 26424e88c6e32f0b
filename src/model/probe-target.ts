/**
 * What the model prober (health/model-prober.ts) asks of and tells a learning policy: which endpoints it
 * wants probed now, and each probe's result. The adaptive policy implements it: it wants an endpoint
 * probed when it is routable, has been silent (no answer of any kind) for `intervalMs` (the staleness
 * that makes its estimate uncertain: latency² × 0.02 per second of silence, model/adaptive-model.ts) and
 * was not probed within `intervalMs` (the budget: one probe per endpoint per interval). An endpoint with
 * traffic answers often and is never probed; probes go to the ones the policy sends nothing, which is
 * how a backend that recovered is seen again.
 */
export interface ProbeTarget {
  /** At most one probe per endpoint per this many ms, ms > 0. */
  readonly intervalMs: number
  /** The GET's path. */
  readonly path: string
  /** Whether endpoint i (Endpoint.index) should be probed now; true also books the probe. */
  wantsProbe(i: number, nowMs: number): boolean
  /**
   * A probe of i ended after latencyMs: 'ok' (any status below 500), 'error' (5xx), 'gateway' (refused,
   * reset: no answer), 'stall' (timed out: latencyMs is the wait).
   */
  onProbe(i: number, latencyMs: number, outcome: ProbeOutcome, nowMs: number): void
}

export type ProbeOutcome = 'ok' | 'error' | 'gateway' | 'stall'
