import type { AnomalyConfig } from '../config/types.js'
import type { EventLog } from '../health/event-log.js'
import { Transition, type RobustDetector } from '../util/robust-detector.js'
import { REMOVED, SignalDetectors, type AnomalySignal } from './signals.js'
import type { TrafficRecorder } from './traffic-recorder.js'
import type { TrafficSeries } from './traffic-series.js'

export type AnomalyScope = 'upstream' | 'route'

export interface Anomaly {
  readonly scope: AnomalyScope
  /** The upstream's or the route's name. */
  readonly name: string
  /** The upstream concerned (for a route: the one it sends to). */
  readonly upstream: string
  readonly signal: AnomalySignal
  /** Wall-clock ms since the epoch. */
  readonly startedAt: number
  /** null while active. */
  endedAt: number | null
  /** How it ended: the series came back into its band, it lasted relearnAfter and became the new normal, or it left the config. */
  endReason: EndReason | null
  /** The sample that started it, then the latest one (req/s, ms, fraction 0..1). */
  observed: number
  /** The band it left, frozen while it lasts. */
  readonly expectedLow: number
  readonly expectedHigh: number
}

export type EndReason = 'returned' | 'new-normal' | 'removed'

export type AnomalyListener = (anomaly: Anomaly, change: 'start' | 'end') => void

/** Ended anomalies kept for GET /api/anomalies. */
const RECENT_CAPACITY = 100

/** Units of each signal, for the event's cause. */
const UNITS: Record<AnomalySignal, string> = { surge: 'req/s', drop: 'req/s', latency: 'ms p99', error: 'of requests answered 5xx' }

/**
 * The anomaly detector of every upstream and route (README "Anomaly detection"; the method is in
 * util/robust-detector.ts): on each interval it closes the traffic windows, samples every series, and turns each
 * start and end into an `anomaly-start` / `anomaly-end` health event (so an audit line and a counter),
 * keeps the active and the recent ones for the admin API and Prometheus, and tells subscribers.
 * `active(upstream, signal)` is the question other code asks ("is U in a surge now?"): one map lookup.
 */
export class AnomalyMonitor {
  private readonly upstreamSignals: SignalDetectors
  private readonly routeSignals: SignalDetectors
  private readonly current = new Map<string, Anomaly>()
  private readonly recentList: Anomaly[] = []
  /** Anomalies started since start, by scope/name/signal key: a Prometheus counter. */
  private readonly totals = new Map<string, { scope: AnomalyScope; name: string; signal: AnomalySignal; count: number }>()
  private readonly listeners: AnomalyListener[] = []

  constructor(
    readonly config: AnomalyConfig,
    readonly traffic: TrafficRecorder,
    private readonly events: EventLog,
    private readonly wallClock: () => number,
  ) {
    this.upstreamSignals = new SignalDetectors(config)
    this.routeSignals = new SignalDetectors(config)
  }

  /** The end of an interval: windows close, every series is sampled. On the monitor's timer (config.intervalMs). */
  tick(): void {
    this.traffic.rotate()
    this.sampleScope('upstream', this.traffic.upstreams, this.upstreamSignals)
    this.sampleScope('route', this.traffic.routes, this.routeSignals)
  }

  /** Is upstream `upstream` in an anomaly of `signal` right now (e.g. a surge, for storm damping)? */
  active(upstream: string, signal: AnomalySignal): boolean {
    const slot = this.traffic.upstreams.find(upstream)
    return slot >= 0 && this.upstreamSignals.active(slot, signal)
  }

  /** Whether an anomaly of `signal` is active for the upstream or route `name` (scrape time: one map lookup). */
  isActive(scope: AnomalyScope, name: string, signal: AnomalySignal): boolean {
    return this.current.has(`${scope}/${name}/${signal}`)
  }

  /** Told at every start and end. */
  subscribe(listener: AnomalyListener): void {
    this.listeners.push(listener)
  }

  /** Active anomalies, oldest first. */
  activeList(): Anomaly[] {
    return [...this.current.values()]
  }

  /** Ended anomalies, newest last, at most RECENT_CAPACITY. */
  recent(): readonly Anomaly[] {
    return this.recentList
  }

  /** Starts since start, by scope, name and signal. */
  counts(): { scope: AnomalyScope; name: string; signal: AnomalySignal; count: number }[] {
    return [...this.totals.values()]
  }

  private sampleScope(scope: AnomalyScope, traffic: TrafficSeries, signals: SignalDetectors): void {
    signals.sample(traffic, (slot, detector, signal, code) => {
      const name = traffic.names()[slot]
      const upstream = scope === 'upstream' ? name : this.traffic.upstreamOfRoute(slot)
      if (code === Transition.Start) this.start(scope, name, upstream, signal, detector, slot)
      else this.end(`${scope}/${name}/${signal}`, detector.observed(slot), endReason(code))
    })
  }

  private start(scope: AnomalyScope, name: string, upstream: string, signal: AnomalySignal, detector: RobustDetector, slot: number): void {
    const anomaly: Anomaly = {
      scope,
      name,
      upstream,
      signal,
      startedAt: this.wallClock(),
      endedAt: null,
      endReason: null,
      observed: detector.observed(slot),
      expectedLow: Math.max(0, detector.expectedLow(slot)), // every signal is ≥ 0
      expectedHigh: detector.expectedHigh(slot),
    }
    const key = `${scope}/${name}/${signal}`
    this.current.set(key, anomaly)
    const total = this.totals.get(key) ?? { scope, name, signal, count: 0 }
    total.count++
    this.totals.set(key, total)
    const cause = `${scope} ${name}: ${signal} ${format(anomaly.observed)} ${UNITS[signal]}, expected ${format(anomaly.expectedLow)} to ${format(anomaly.expectedHigh)}`
    this.push(anomaly, 'anomaly-start', cause, {})
    for (const listener of this.listeners) listener(anomaly, 'start')
  }

  private end(key: string, observed: number, reason: EndReason): void {
    const anomaly = this.current.get(key)
    if (anomaly === undefined) return
    this.current.delete(key)
    anomaly.endedAt = this.wallClock()
    anomaly.endReason = reason
    anomaly.observed = observed
    this.recentList.push(anomaly)
    if (this.recentList.length > RECENT_CAPACITY) this.recentList.shift()
    const how = {
      returned: 'back within the expected band',
      'new-normal': `lasted ${this.config.relearnAfterMs / 1000} s: the new normal`,
      removed: 'no longer in the config',
    }[reason]
    const cause = `${anomaly.scope} ${anomaly.name}: ${anomaly.signal} ${how} (${format(observed)} ${UNITS[anomaly.signal]})`
    this.push(anomaly, 'anomaly-end', cause, { reason, durationMs: anomaly.endedAt - anomaly.startedAt })
    for (const listener of this.listeners) listener(anomaly, 'end')
  }

  private push(anomaly: Anomaly, kind: 'anomaly-start' | 'anomaly-end', cause: string, extra: Record<string, string | number>): void {
    this.events.push({
      timeMs: anomaly.endedAt ?? anomaly.startedAt,
      upstream: anomaly.upstream,
      endpoint: '',
      kind,
      cause,
      data: {
        signal: anomaly.signal,
        observed: anomaly.observed,
        expectedLow: anomaly.expectedLow,
        expectedHigh: anomaly.expectedHigh,
        scope: anomaly.scope,
        name: anomaly.name,
        ...extra,
      },
    })
  }
}

function endReason(code: number): EndReason {
  if (code === REMOVED) return 'removed'
  return code === Transition.Relearned ? 'new-normal' : 'returned'
}

/** Three significant digits: events are for people. */
function format(x: number): string {
  return Number(x.toPrecision(3)).toString()
}
