import type { Rng } from '../util/rng.js'
import type { Endpoint, PickContext, Policy } from './types.js'
import type { Outcome } from '../util/outcome.js'
import { wasTried } from './tried-endpoints.js'

/**
 * The policy plus the endpoints it may choose from. Short-cuts 0 and 1 available endpoints before the
 * policy runs (a single endpoint is returned even when excluded: better a retry there than a 503).
 * E is the caller's endpoint type, so picks come back fully typed without casts at the call site.
 *
 * Slow start is applied here, for every policy alike: a first-attempt pick of an endpoint whose ramp factor
 * f is below 1 is kept with probability f, else the policy picks again without it. Its share is thereby
 * its share under the policy times f, whatever the policy (a learned policy that finds a returned backend
 * fast would otherwise send it everything at once). Retries are not ramped: they already avoid one endpoint.
 */
export class Balancer<E extends Endpoint = Endpoint> {
  private available: readonly E[] = []
  /** Slow-start factors in (0, 1] by endpoint index; null when no endpoint is ramping. */
  private ramp: Float64Array | null = null
  /** Reused for the second pick of a ramp rejection. */
  private readonly rampContext: PickContext = { hashKey: 0, attempt: 0, exclude: -1 }

  constructor(
    readonly policy: Policy,
    private readonly rng: Rng,
  ) {}

  /** Off the hot path: on health or config change. */
  setAvailable(endpoints: readonly E[]): void {
    this.available = endpoints
    this.policy.rebuild(endpoints)
  }

  /** How many endpoints the policy chooses from now. */
  availableCount(): number {
    return this.available.length
  }

  /** The first available endpoint not in `tried` (tried-endpoints.ts), by position; null when every one was tried. */
  firstUntried(tried: number): E | null {
    const available = this.available
    for (let i = 0; i < available.length; i++) if (!wasTried(tried, available[i].index)) return available[i]
    return null
  }

  /** Off the hot path (health tick): the slow-start factors by endpoint index, or null when none ramps. */
  setRamp(factors: Float64Array | null): void {
    this.ramp = factors
  }

  pick(ctx: PickContext): E | null {
    const n = this.available.length
    if (n === 0) return null
    if (n === 1) return this.available[0]
    const chosen = this.policy.pick(this.available, ctx) as E | null
    const ramp = this.ramp
    if (ramp === null || chosen === null || ctx.attempt !== 0) return chosen
    const factor = ramp[chosen.index]
    if (factor >= 1 || this.rng.next() < factor) return chosen
    this.rampContext.hashKey = ctx.hashKey
    this.rampContext.exclude = chosen.index
    return (this.policy.pick(this.available, this.rampContext) as E | null) ?? chosen
  }

  observe(e: E, latencyMs: number, status: number, outcome: Outcome, nowMs: number): void {
    this.policy.observe(e, latencyMs, status, outcome, nowMs)
  }

  tick(nowMs: number): void {
    this.policy.tick(nowMs)
  }
}
