import type { BreakerConfig } from '../config/types.js'

/** The breakers, by index into the overflow counters. */
export const BREAKER_MAX_CONNECTIONS = 0
export const BREAKER_MAX_PENDING = 1
export const BREAKER_MAX_REQUESTS = 2
export const BREAKER_MAX_RETRIES = 3
export const BREAKER_MAX_ENDPOINT_REQUESTS = 4
export const BREAKER_NAMES = ['maxConnections', 'maxPending', 'maxRequests', 'maxRetries', 'maxEndpointRequests'] as const
export type BreakerName = (typeof BREAKER_NAMES)[number]

export interface BreakerSnapshot {
  readonly threshold: number
  /** Overflowed during the last tick (about a second): the breaker is tripped. */
  readonly open: boolean
  /** Overflows since start. */
  readonly overflows: number
  readonly trips: number
}

/** A state change to announce: which breaker, and the figures behind it. */
export interface BreakerChange {
  readonly name: BreakerName
  readonly open: boolean
  readonly threshold: number
  readonly overflows: number
}

/**
 * Envoy-style circuit breakers of one upstream: hard ceilings counted on the hot path (one increment per
 * overflow), judged on the tick: a breaker is open while it overflowed since the last tick and closes after a
 * tick without overflow, so a trip is one event pair however many requests hit the ceiling.
 */
export class Breakers {
  readonly thresholds: Float64Array
  readonly overflows = new Float64Array(BREAKER_NAMES.length)
  private readonly seen = new Float64Array(BREAKER_NAMES.length)
  private readonly open = new Uint8Array(BREAKER_NAMES.length)
  private readonly trips = new Float64Array(BREAKER_NAMES.length)

  constructor(config: BreakerConfig) {
    this.thresholds = Float64Array.from(BREAKER_NAMES, (name) => config[name])
  }

  overflow(breaker: number): void {
    this.overflows[breaker]++
  }

  /**
   * Opens the breakers that overflowed since the last call and closes those that did not; returns the changes.
   * `retryOverflows`: the retry budget's count of retries refused by maxRetries (it counts them itself).
   */
  judge(retryOverflows: number): BreakerChange[] {
    this.overflows[BREAKER_MAX_RETRIES] = retryOverflows
    const changes: BreakerChange[] = []
    for (let b = 0; b < BREAKER_NAMES.length; b++) {
      const overflowed = this.overflows[b] > this.seen[b]
      if (overflowed !== (this.open[b] === 1)) {
        this.open[b] = overflowed ? 1 : 0
        if (overflowed) this.trips[b]++
        changes.push({ name: BREAKER_NAMES[b], open: overflowed, threshold: this.thresholds[b], overflows: this.overflows[b] - this.seen[b] })
      }
      this.seen[b] = this.overflows[b]
    }
    return changes
  }

  snapshot(): Record<BreakerName, BreakerSnapshot> {
    const out = {} as Record<BreakerName, BreakerSnapshot>
    for (let b = 0; b < BREAKER_NAMES.length; b++) {
      out[BREAKER_NAMES[b]] = { threshold: this.thresholds[b], open: this.open[b] === 1, overflows: this.overflows[b], trips: this.trips[b] }
    }
    return out
  }
}
