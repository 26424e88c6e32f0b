import type { Endpoint, Outcome, PickContext, Policy } from './types.js'

/**
 * The policy plus the endpoints it may choose from. Short-cuts 0 and 1 available endpoints before the
 * policy runs (a single endpoint is returned even when excluded: better a retry there than a 503).
 * E is the caller's endpoint type, so picks come back fully typed without casts at the call site.
 */
export class Balancer<E extends Endpoint = Endpoint> {
  private available: readonly E[] = []

  constructor(readonly policy: Policy) {}

  /** Off the hot path: on health or config change. */
  setAvailable(endpoints: readonly E[]): void {
    this.available = endpoints
    this.policy.rebuild(endpoints)
  }

  pick(ctx: PickContext): E | null {
    const n = this.available.length
    if (n === 0) return null
    if (n === 1) return this.available[0]
    return this.policy.pick(this.available, ctx) as E | null
  }

  observe(e: E, latencyMs: number, status: number, outcome: Outcome, nowMs: number): void {
    this.policy.observe(e, latencyMs, status, outcome, nowMs)
  }

  tick(nowMs: number): void {
    this.policy.tick(nowMs)
  }
}
