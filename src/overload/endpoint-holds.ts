import { carrySlots } from '../util/carry-over.js'

/**
 * "Not before" times by endpoint index, from backends' Retry-After on a 429 or 503: a held endpoint gets no
 * retries and no new picks until then (the Cluster takes it out of the routed set, like an ejection without
 * its bookkeeping: no backoff, no ejection count, no event). Each hold is per endpoint and bounded by the
 * upstream's retryAfter.max. Pure state: the Cluster arms the timer that ends a hold.
 */
export class EndpointHolds {
  /** Monotonic ms until which endpoint i is held; 0 when not held. */
  private readonly untilMs: Float64Array
  /** Holds begun or extended since start (for metrics). */
  total = 0

  constructor(n: number) {
    this.untilMs = new Float64Array(n)
  }

  /** Holds i until `untilMs`; false when it was held that long already (nothing changes). */
  hold(i: number, untilMs: number): boolean {
    if (untilMs <= this.untilMs[i]) return false
    this.untilMs[i] = untilMs
    this.total++
    return true
  }

  isHeld(i: number, nowMs: number): boolean {
    return this.untilMs[i] > nowMs
  }

  remainingMs(i: number, nowMs: number): number {
    return Math.max(0, this.untilMs[i] - nowMs)
  }

  /** Endpoints held at `nowMs`. */
  heldCount(nowMs: number): number {
    let n = 0
    for (let i = 0; i < this.untilMs.length; i++) if (this.untilMs[i] > nowMs) n++
    return n
  }

  /** The earliest hold still running after `nowMs`, ms; Infinity when none. */
  nextEndMs(nowMs: number): number {
    let next = Infinity
    for (let i = 0; i < this.untilMs.length; i++) if (this.untilMs[i] > nowMs && this.untilMs[i] < next) next = this.untilMs[i]
    return next
  }

  /**
   * `routed` without the endpoints held at `nowMs`; `routed` itself when none is held, or when all are (the
   * backends all asked for a pause: their own 429/503 answers tell clients so, and retries still stay away).
   */
  filter(routed: readonly number[], nowMs: number): readonly number[] {
    let held = 0
    for (let k = 0; k < routed.length; k++) if (this.untilMs[routed[k]] > nowMs) held++
    if (held === 0 || held === routed.length) return routed
    return routed.filter((i) => this.untilMs[i] <= nowMs)
  }

  /** A reload: endpoints that stayed keep their holds (same monotonic clock). */
  adopt(previous: EndpointHolds, from: Int32Array): void {
    carrySlots(previous.untilMs, this.untilMs, from)
    this.total = previous.total
  }
}
