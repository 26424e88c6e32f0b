import type { SlowStartConfig } from '../config/types.js'
import { carrySlots } from '../util/carry-over.js'

/**
 * Slow start: an endpoint that (re)enters service gets a growing share of its weight, so a cold cache or
 * JIT is not flooded at once. Envoy's slow_start_config curve:
 *   factor = max(minFraction, (t / window)^(1 / aggression))   for 0 ≤ t < window, else 1
 * with t the ms since begin(). aggression 1 is linear; above 1 the share rises faster early on.
 * Endpoints that never began (those present from the start) are at full weight. windowMs 0 disables.
 */
export class SlowStart {
  /** ms when each endpoint (re)entered service; -Infinity: not ramping. */
  private readonly startedAt: Float64Array
  private readonly exponent: number

  constructor(
    endpoints: number,
    private readonly config: SlowStartConfig,
  ) {
    this.startedAt = new Float64Array(endpoints).fill(-Infinity)
    this.exponent = 1 / config.aggression
  }

  /** After a reload: ramps of endpoints that stayed go on where they were (util/carry-over.ts). */
  adopt(previous: SlowStart, from: Int32Array): void {
    carrySlots(previous.startedAt, this.startedAt, from)
  }

  begin(i: number, nowMs: number): void {
    if (this.config.windowMs > 0) this.startedAt[i] = nowMs
  }

  /** O(1), no allocation: the weight multiplier in (0, 1]. */
  factor(i: number, nowMs: number): number {
    const t = nowMs - this.startedAt[i]
    if (!(t < this.config.windowMs)) return 1 // also when never begun (t = Infinity)
    const ramp = t <= 0 ? 0 : this.exponent === 1 ? t / this.config.windowMs : (t / this.config.windowMs) ** this.exponent
    return ramp > this.config.minFraction ? ramp : this.config.minFraction
  }
}
