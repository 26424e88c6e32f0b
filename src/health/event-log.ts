/**
 * What happened to an endpoint's (or, for panic, an upstream's) routability; and, instance-wide, a config
 * reload applied or refused (upstream and endpoint ''); and an upstream's discovered endpoints applied or its
 * source failing (endpoint ''); an upstream's or a route's traffic leaving its band and coming back (anomaly-start,
 * anomaly-end: src/anomaly/; endpoint ''); the learned model's drift at an endpoint (drift); a storm starting or
 * ending (overload/storm-damper.ts; endpoint ''); an endpoint's weight set through the admin API ('weight'); an
 * upstream's learned model getting a new version or rolled back (endpoint '', cluster/model-events.ts); an upstream's recommended endpoint
 * count changing ('scaling', endpoint '').
 */
export type HealthEventKind =
  | 'healthy'
  | 'unhealthy'
  | 'ejected'
  | 'returned'
  | 'panic-on'
  | 'panic-off'
  | 'predicted-failure'
  | 'drain'
  | 'undrain'
  | 'reload'
  | 'reload-failed'
  | 'discovery-changed'
  | 'discovery-failed'
  | 'anomaly-start'
  | 'anomaly-end'
  | 'drift'
  | 'storm-start'
  | 'storm-end'
  | 'weight'
  | 'model-version'
  | 'model-rollback'
  | 'scaling'
  | 'limit-changed'
  | 'breaker-open'
  | 'breaker-closed'
  | 'shedding-changed'

/** Every kind, in a fixed order: the index of a kind in this list is its counter slot. */
export const HEALTH_EVENT_KINDS: readonly HealthEventKind[] = [
  'healthy',
  'unhealthy',
  'ejected',
  'returned',
  'panic-on',
  'panic-off',
  'predicted-failure',
  'drain',
  'undrain',
  'reload',
  'reload-failed',
  'discovery-changed',
  'discovery-failed',
  'anomaly-start',
  'anomaly-end',
  'drift',
  'storm-start',
  'storm-end',
  'weight',
  'model-version',
  'model-rollback',
  'scaling',
  'limit-changed',
  'breaker-open',
  'breaker-closed',
  'shedding-changed',
]

export interface HealthEvent {
  /** Wall-clock time, ms since the Unix epoch (for people and logs, not for arithmetic). */
  readonly timeMs: number
  readonly upstream: string
  /** Endpoint id; '' for upstream-wide events (panic-on, panic-off). */
  readonly endpoint: string
  readonly kind: HealthEventKind
  /** Why, in words: "3 consecutive failures: status 500", "consecutive-5xx", … */
  readonly cause: string
  /** The figures behind the decision (durations in ms, rates as fractions). */
  readonly data: Readonly<Record<string, number | string>>
}

export type HealthEventSubscriber = (event: HealthEvent) => void

export type HealthEventCounts = Record<HealthEventKind, number>

/** Default ring size: enough for the admin API's recent history without growing with uptime. */
const DEFAULT_CAPACITY = 1000

const KIND_INDEX: ReadonlyMap<HealthEventKind, number> = new Map(HEALTH_EVENT_KINDS.map((k, i) => [k, i]))

/**
 * The recent health history of every upstream: a bounded ring (the oldest event is dropped when full),
 * counters per upstream and kind that never reset (Prometheus counters), and an optional subscriber that
 * sees every event as it is pushed (the lead logs them). Events are rare (state changes, not requests),
 * so each push may allocate.
 */
export class EventLog {
  private readonly ring: (HealthEvent | null)[]
  /** Next slot to write; `size` slots before it (wrapping) hold events, oldest first. */
  private next = 0
  private size = 0
  private readonly perUpstream = new Map<string, Float64Array>()

  constructor(
    readonly capacity: number = DEFAULT_CAPACITY,
    private readonly subscriber: HealthEventSubscriber | null = null,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer, got ${capacity}`)
    this.ring = new Array<HealthEvent | null>(capacity).fill(null)
  }

  push(event: HealthEvent): void {
    this.ring[this.next] = event
    this.next = (this.next + 1) % this.capacity
    if (this.size < this.capacity) this.size++
    this.countersOf(event.upstream)[KIND_INDEX.get(event.kind)!]++
    if (this.subscriber !== null) this.subscriber(event)
  }

  /**
   * Events at or after `sinceMs` (wall clock), oldest first; with `limit`, only the newest `limit` of them.
   */
  list(sinceMs = -Infinity, limit = Infinity): HealthEvent[] {
    const out: HealthEvent[] = []
    const oldest = (this.next - this.size + this.capacity) % this.capacity
    for (let k = 0; k < this.size; k++) {
      const event = this.ring[(oldest + k) % this.capacity]!
      if (event.timeMs >= sinceMs) out.push(event)
    }
    return limit < out.length ? out.slice(out.length - limit) : out
  }

  /** Events pushed since start by kind, for one upstream or (without an argument) for all of them. */
  counts(upstream?: string): HealthEventCounts {
    const sum = new Float64Array(HEALTH_EVENT_KINDS.length)
    for (const [name, counters] of this.perUpstream) {
      if (upstream !== undefined && name !== upstream) continue
      for (let k = 0; k < sum.length; k++) sum[k] += counters[k]
    }
    return Object.fromEntries(HEALTH_EVENT_KINDS.map((kind, k) => [kind, sum[k]])) as HealthEventCounts
  }

  /** Upstreams that have had at least one event: the label values for a per-upstream counter. */
  upstreams(): string[] {
    return [...this.perUpstream.keys()]
  }

  private countersOf(upstream: string): Float64Array {
    let counters = this.perUpstream.get(upstream)
    if (counters === undefined) {
      counters = new Float64Array(HEALTH_EVENT_KINDS.length)
      this.perUpstream.set(upstream, counters)
    }
    return counters
  }
}
