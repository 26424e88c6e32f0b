import type { SlowStartConfig } from '../config/types.js'
import { carrySlots } from '../util/carry-over.js'

/** A slow or failed answer during the ramp halves the progress that good answers built (observed mode). */
const BAD_ANSWER_KEEPS = 0.5

/**
 * Slow start: an endpoint that (re)enters service gets a growing share of its weight, so a cold cache or
 * JIT is not flooded at once. Two ramps, by `mode`:
 * - `clock`, Envoy's slow_start_config curve:
 *     factor = max(minFraction, (t / window)^(1 / aggression))   for 0 ≤ t < window, else 1
 *   with t the ms since begin(). aggression 1 is linear; above 1 the share rises faster early on.
 * - `observed` (the default): the ramp follows what the endpoint's answers show. Each good answer (a success
 *   within the upstream's latency limit) adds 1/`responses` to its progress, each bad one halves it, and
 *     factor = max(minFraction, progress, clean ? clock curve : 0)
 *   where `clean` holds while no answer of the ramp was bad. A revived backend that answers as fast as its
 *   peers earns its share after `responses` answers (a second or two under load, since every good answer
 *   also raises its share of the next ones); one that answers slowly or fails stays at the floor until it
 *   answers well; on a quiet upstream, where answers are few, the clock curve ends a clean ramp in `window`.
 * Endpoints that never began (those present from the start) are at full weight. windowMs 0 disables.
 */
export class SlowStart {
  /** ms when each endpoint (re)entered service; -Infinity: not ramping. */
  private readonly startedAt: Float64Array
  /** Observed mode: good answers since begin(), halved by each bad answer; the progress is this / responses. */
  private readonly good: Float64Array
  /** Observed mode: 1 while no answer since begin() was bad. */
  private readonly clean: Uint8Array
  private readonly exponent: number
  private readonly observed: boolean

  constructor(
    endpoints: number,
    private readonly config: SlowStartConfig,
  ) {
    this.startedAt = new Float64Array(endpoints).fill(-Infinity)
    this.good = new Float64Array(endpoints)
    this.clean = new Uint8Array(endpoints)
    this.exponent = 1 / config.aggression
    this.observed = config.mode === 'observed'
  }

  /** After a reload: ramps of endpoints that stayed go on where they were (util/carry-over.ts). */
  adopt(previous: SlowStart, from: Int32Array): void {
    carrySlots(previous.startedAt, this.startedAt, from)
    carrySlots(previous.good, this.good, from)
    carrySlots(previous.clean, this.clean, from)
  }

  begin(i: number, nowMs: number): void {
    if (this.config.windowMs <= 0) return
    this.startedAt[i] = nowMs
    this.good[i] = 0
    this.clean[i] = 1
  }

  /** Hot path, O(1): an answer of endpoint i; `good` when it succeeded within the upstream's latency limit. */
  observe(i: number, good: boolean): void {
    if (!this.observed || this.startedAt[i] === -Infinity) return
    if (!good) {
      this.good[i] *= BAD_ANSWER_KEEPS
      this.clean[i] = 0
    } else if (++this.good[i] >= this.config.responses) {
      this.startedAt[i] = -Infinity // earned its full share
    }
  }

  /** O(1), no allocation: the weight multiplier in (0, 1]. */
  factor(i: number, nowMs: number): number {
    const t = nowMs - this.startedAt[i]
    if (t === Infinity) return 1 // never began, or the ramp is over
    const progress = this.observed ? this.good[i] / this.config.responses : 0
    const floor = progress > this.config.minFraction ? progress : this.config.minFraction
    if (this.observed && this.clean[i] === 0) return floor
    if (!(t < this.config.windowMs)) return 1
    const ramp = t <= 0 ? 0 : this.exponent === 1 ? t / this.config.windowMs : (t / this.config.windowMs) ** this.exponent
    return ramp > floor ? ramp : floor
  }
}
