import type { StormConfig } from '../config/types.js'
import type { StormSignal } from './storm-detector.js'

/** Per tick (~1 s) of a storm the damping level is multiplied by this: 1 → 0.25 → 0.06 → 0 in three ticks. */
const STORM_DECAY = 0.25
/** Below this the level is 0: no retry, no hedge. */
const LEVEL_FLOOR = 0.05

/** A storm event as health/event-log.ts records it (that floor is this one's neighbour, so the shape is restated). */
export interface StormEvent {
  readonly timeMs: number
  readonly upstream: string
  readonly endpoint: ''
  readonly kind: 'storm-start' | 'storm-end'
  readonly cause: string
  readonly data: Readonly<Record<string, number | string>>
}

export interface StormDamperDeps {
  /** The EventLog. */
  events: { push(event: StormEvent): void }
  /** Wall-clock ms since the epoch, for event timestamps. */
  wallClock: () => number
}

/**
 * What an upstream does about a storm its StormSignal reports: a damping level in [0, 1] that scales the
 * retry budget (overload/retry-budget.ts) and stretches the hedge delay (delay / level; no hedge at 0), so
 * retries and hedges fall towards zero within a few seconds of a storm starting (multiplicative: ×0.25 per
 * tick) and come back linearly over `relaxMs` once it ends (AIMD, as TCP backs off and recovers). Every
 * change of storm state is an event: 'storm-start' (with the signal's figures) and 'storm-end'.
 * Raising the shedding level during a storm belongs to admission control and is not done here.
 */
export class StormDamper {
  /** 1: retries and hedges as configured; 0: none. */
  level = 1
  storming = false
  /** Storms started since start (for metrics). */
  starts = 0
  private lastTickMs = Number.NaN
  private startedMs = 0

  constructor(
    private readonly upstream: string,
    private readonly config: StormConfig,
    readonly signal: StormSignal,
    private readonly deps: StormDamperDeps,
  ) {}

  tick(nowMs: number): void {
    const dtMs = Number.isNaN(this.lastTickMs) ? 0 : nowMs - this.lastTickMs
    this.lastTickMs = nowMs
    const storming = this.signal.storming(this.upstream)
    if (storming !== this.storming) this.transition(storming, nowMs)
    if (storming) this.level = this.level * STORM_DECAY < LEVEL_FLOOR ? 0 : this.level * STORM_DECAY
    else if (this.level < 1) this.level = this.config.relaxMs <= 0 ? 1 : Math.min(1, this.level + dtMs / this.config.relaxMs)
  }

  /** A reload keeps the storm state and level of the upstream it replaces. */
  adopt(previous: StormDamper): void {
    this.level = previous.level
    this.storming = previous.storming
    this.starts = previous.starts
    this.lastTickMs = previous.lastTickMs
    this.startedMs = previous.startedMs
  }

  private transition(storming: boolean, nowMs: number): void {
    this.storming = storming
    if (storming) {
      this.starts++
      this.startedMs = nowMs
      const data = this.signal.describe?.(this.upstream) ?? {}
      this.emit('storm-start', `storm detected (${String(data.signal ?? 'signal')}): retries and hedges damped`, { ...data, level: this.level })
    } else {
      this.emit('storm-end', 'storm over: retries and hedges relax', { durationMs: Math.round(nowMs - this.startedMs), relaxMs: this.config.relaxMs })
    }
  }

  private emit(kind: StormEvent['kind'], cause: string, data: Record<string, number | string>): void {
    this.deps.events.push({ timeMs: this.deps.wallClock(), upstream: this.upstream, endpoint: '', kind, cause, data })
  }
}
