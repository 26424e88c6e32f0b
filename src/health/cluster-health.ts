import { carrySlots } from '../util/carry-over.js'
import { Outcome } from '../util/outcome.js'
import type { HealthConfig } from '../config/types.js'
import type { Clock } from '../util/clock.js'
import type { ActiveCheckListener } from './active-checker.js'
import { EjectionManager, type ManualEjectResult } from './ejection-manager.js'
import type { EventLog, HealthEventKind } from './event-log.js'
import { ForecastSampler, type ForecastSink } from './forecast-sampler.js'
import { type Forecast, type ForecastDecision, Forecaster } from './forecaster.js'
import {
  byReason,
  OUTLIER_REASON_INDEX,
  OUTLIER_REASONS,
  OutlierDetector,
  type OutlierReason,
} from './outlier-detector.js'
import { ACTIVE_HEALTHY, ACTIVE_STATES, ACTIVE_UNHEALTHY, ACTIVE_UNKNOWN } from './rise-fall.js'
import { SlowStart } from './slow-start.js'
import { GatewayEjectionRelease } from './gateway-release.js'
import type { ClusterHealthStats, EndpointHealth, EndpointHealthState } from './health-view.js'
import { PANIC_CHANGED, ROUTED_CHANGED, RoutedSet } from './routed-set.js'

export interface ClusterHealthDeps {
  /** Monotonic ms: ejection and slow-start times. The `nowMs` passed to tick() must come from it too. */
  clock: Clock
  /** Wall-clock ms since the epoch, for event timestamps. */
  wallClock: () => number
  events: EventLog
  /**
   * Called synchronously whenever the routable set changes: from observe() (a consecutive-error ejection),
   * from onHealthChange() (an active check) or from tick(). `available` is frozen; panic = all known endpoints.
   */
  onAvailabilityChange: ((available: readonly number[], panic: boolean) => void) | null
  /**
   * Called synchronously when an endpoint is ejected for gateway errors and recovery probes apply (no active
   * checks, recovery.enabled): the Cluster's RecoveryProber arms its probes of it. Absent: nobody probes.
   */
  onGatewayEjection?: ((i: number) => void) | null
}

/**
 * The health of one upstream (its Cluster) of N endpoints: active check results (fed by an ActiveChecker, which this
 * class listens to), passive outlier detection and ejection, predictive drains, slow start and panic mode,
 * combined into the set of endpoint indexes the balancer may use. Pure: no timers, no I/O.
 *
 * An endpoint is available when active checks say healthy, it is not ejected and not drained; which of
 * them the balancer gets (panic mode included) is the RoutedSet's (routed-set.ts). Early release from a
 * gateway-error ejection is GatewayEjectionRelease's (gateway-release.ts); what it shows, health-view.ts.
 * Slow start begins whenever an endpoint becomes available again (not for the initial set).
 * A predicted failure drains its endpoint only if the rest stay above the panic threshold (else it is
 * counted as refused and retried on every tick while the prediction holds), so forecasts never cause panic.
 *
 * An operator (the admin API) may eject an endpoint for a while or drain it until undrained. A manual
 * ejection ends at its time or on uneject, never early through active checks or recovery probes; a manual
 * drain is a flag of its own beside the predictive one, so the forecaster's undrain cannot end it and an
 * undrain by hand ends only it (a predictive drain or an ejection stands). Both carry over a reload with the
 * endpoint, and while either holds the endpoint is out of panic's pool too (routed-set.ts).
 */
export class ClusterHealth implements ActiveCheckListener, ForecastSink {
  private readonly n: number
  private readonly active: Uint8Array
  /** 1 while the forecaster drains endpoint i. */
  private readonly drained: Uint8Array
  /** 1 while an operator drains endpoint i (until undrainManually). */
  private readonly manualDrained: Uint8Array
  /** 1 where an operator holds endpoint i out (manual drain or ejection): recomputed on every refresh. */
  private readonly held: Uint8Array
  private readonly routedSet: RoutedSet
  private readonly detector: OutlierDetector | null
  private readonly ejection: EjectionManager
  private readonly slowStart: SlowStart
  private readonly forecaster: Forecaster | null
  /** Each forecast interval's p99 and error rate per endpoint, fed to the forecaster; null with forecasts off. */
  private readonly sampler: ForecastSampler | null
  private readonly enforced: Float64Array
  /**
   * Early release from gateway-error ejections: fed by the active checks when configured, else by the
   * recovery probes (`probing`); null when neither applies.
   */
  private readonly release: GatewayEjectionRelease | null
  /** No active checks and recovery.enabled: Baton's own probes (recovery-prober.ts) may end gateway-error ejections. */
  private readonly probing: boolean
  /** 1 when endpoint i's latest gateway error was a refused connect (a connect that succeeds then disproves it). */
  private readonly lastRefused: Uint8Array
  private nextOutlierMs: number
  private nextForecastMs: number
  private drainsRefused = 0
  /** Median p99 of the upstream's endpoints over the last forecast interval, ms; NaN until known. */
  private latencyBaselineMs = Number.NaN
  private readonly isEjected = (i: number): boolean => this.ejection.isEjected(i)
  private readonly ownAvailability = (i: number): number =>
    this.active[i] === ACTIVE_HEALTHY && !this.ejection.isEjected(i) && this.drained[i] === 0 && this.manualDrained[i] === 0 ? 1 : 0
  /** The time of the refresh under way: when endpoints returning in it begin their slow start. */
  private refreshMs = 0
  private readonly beginSlowStart = (i: number): void => this.slowStart.begin(i, this.refreshMs)

  constructor(
    readonly upstream: string,
    readonly endpointIds: readonly string[],
    private readonly config: HealthConfig,
    private readonly deps: ClusterHealthDeps,
  ) {
    const n = endpointIds.length
    const outlier = config.outlier
    const nowMs = deps.clock.now()
    this.n = n
    this.active = new Uint8Array(n).fill(config.active?.initialState === 'unknown' ? ACTIVE_UNKNOWN : ACTIVE_HEALTHY)
    this.drained = new Uint8Array(n)
    this.manualDrained = new Uint8Array(n)
    this.held = new Uint8Array(n)
    this.routedSet = new RoutedSet(n, config.panicThreshold, this.active, this.held)
    this.detector = outlier.enabled ? new OutlierDetector(n, outlier, { onOutlier: (i, r, d) => this.handleOutlier(i, r, d) }) : null
    this.ejection = new EjectionManager(n, {
      baseEjectionMs: outlier.baseEjectionMs,
      maxEjectionMs: outlier.maxEjectionMs,
      maxEjectionFraction: outlier.maxEjectionFraction,
      decayMs: outlier.baseEjectionMs,
    })
    this.slowStart = new SlowStart(n, config.slowStart)
    this.forecaster = config.forecast.enabled
      ? new Forecaster(n, config.forecast, { onForecast: (i, d, f, c) => this.handleForecast(i, d, f, c) })
      : null
    this.sampler = config.forecast.enabled ? new ForecastSampler(n) : null
    this.enforced = new Float64Array(OUTLIER_REASONS.length)
    this.probing = config.active === null && config.recovery.enabled
    this.release =
      config.active !== null
        ? new GatewayEjectionRelease(n, config.active.rise)
        : this.probing
          ? new GatewayEjectionRelease(n, config.recovery.passes)
          : null
    this.lastRefused = new Uint8Array(n)
    this.nextOutlierMs = nowMs + outlier.intervalMs
    this.nextForecastMs = nowMs + config.forecast.intervalMs
    for (let i = 0; i < n; i++) this.routedSet.available[i] = this.ownAvailability(i) // the initial set: no slow start
    this.recompute(nowMs) // the initial set: read with availableIndexes(), not announced
  }

  /**
   * After a reload that rebuilt this upstream: endpoints that stayed (from[j] = their index in `previous`,
   * −1 for new ones) keep their active-check state, ejection, drain, slow-start ramp and early-release count;
   * outlier intervals and forecast trends start afresh (they re-learn within an interval). The routed set is
   * recomputed without slow start for those that stay routed.
   */
  adopt(previous: ClusterHealth, from: Int32Array): void {
    carrySlots(previous.active, this.active, from)
    carrySlots(previous.drained, this.drained, from)
    carrySlots(previous.manualDrained, this.manualDrained, from)
    this.ejection.adopt(previous.ejection, from)
    this.slowStart.adopt(previous.slowStart, from)
    if (this.release !== null && previous.release !== null) this.release.adopt(previous.release, from)
    for (let j = 0; j < from.length; j++) this.routedSet.available[j] = from[j] < 0 ? 0 : previous.routedSet.available[from[j]]
    this.refresh(this.deps.clock.now())
  }

  /** Hot path, O(1): how a request to endpoint i went (status 0 when no response came). */
  observe(i: number, outcome: Outcome, status: number, latencyMs: number): void {
    // Before the detector, whose ejection (handleOutlier) reads it.
    if (outcome === Outcome.ConnectFailure) this.lastRefused[i] = 1
    else if (outcome === Outcome.Timeout || outcome === Outcome.Reset) this.lastRefused[i] = 0
    if (this.detector !== null) this.detector.observe(i, outcome, status, latencyMs)
    if (this.sampler !== null) this.sampler.observe(i, outcome, status, latencyMs)
    // A ramping endpoint earns its share by answering well: a success no slower than the latency-outlier line
    // (outlier.latencyMultiple × the median p99; any success before the median is known). A client's abort says nothing.
    if (outcome !== Outcome.ClientAbort) {
      this.slowStart.observe(i, outcome === Outcome.Success && !(latencyMs > this.config.outlier.latencyMultiple * this.latencyBaselineMs))
    }
  }

  /**
   * On a timer (every second or so): returns ejected endpoints whose time is up, evaluates outliers every
   * outlier.intervalMs and forecasts every forecast.intervalMs, retries refused drains, refreshes the set.
   */
  tick(nowMs: number): void {
    for (const i of this.ejection.tick(nowMs)) {
      const cause = this.ejection.wasManual(i) ? 'manual ejection time elapsed' : 'ejection time elapsed'
      this.emit(i, 'returned', cause, { timesEjected: this.ejection.timesEjected(i) })
    }
    if (this.detector !== null && nowMs >= this.nextOutlierMs) {
      this.nextOutlierMs = nowMs + this.config.outlier.intervalMs
      this.detector.evaluate(this.isEjected)
    }
    if (this.forecaster !== null && nowMs >= this.nextForecastMs) {
      this.nextForecastMs = nowMs + this.config.forecast.intervalMs
      this.sampler!.flush(this, nowMs)
      this.forecaster.evaluate(nowMs, this.forecastLatencyLimitMs())
    }
    this.retryDrains()
    this.refresh(nowMs)
  }

  /** ForecastSink, from tick(): the median of the interval's endpoint p99s, ms; NaN when unknown. */
  setLatencyBaseline(medianP99Ms: number): void {
    this.latencyBaselineMs = medianP99Ms
  }

  /** ForecastSink, from tick(): endpoint i's p99 (ms) and error rate (0..1) over the interval; NaN when idle. */
  recordForecastSample(i: number, nowMs: number, p99Ms: number, errorRate: number): void {
    if (this.forecaster !== null) this.forecaster.record(i, nowMs, p99Ms, errorRate)
  }

  /** O(1): multiply endpoint i's weight by this (1 unless ramping after re-entering service). */
  slowStartFactor(i: number, nowMs: number): number {
    return this.slowStart.factor(i, nowMs)
  }

  /** ActiveCheckListener: pass `listener: upstreamHealth` to the ActiveChecker of this upstream. */
  onHealthChange(i: number, healthy: boolean, cause: string): void {
    this.active[i] = healthy ? ACTIVE_HEALTHY : ACTIVE_UNHEALTHY
    this.emit(i, healthy ? 'healthy' : 'unhealthy', cause, {})
    this.refresh(this.deps.clock.now())
  }

  /** ActiveCheckListener, after every check: may end a gateway-error ejection early (gateway-release.ts). */
  onCheckResult(i: number, passed: boolean): void {
    if (this.probing || this.release === null || !this.wantsFastChecks(i)) return
    if (!this.release.checked(i, passed, this.active[i] === ACTIVE_HEALTHY)) return
    const nowMs = this.deps.clock.now()
    this.ejection.release(i, nowMs)
    this.emit(i, 'returned', `${this.release.passesToRelease} consecutive active checks passed after a gateway-error ejection`, {
      timesEjected: this.ejection.timesEjected(i),
    })
    this.refresh(nowMs)
  }

  /** ActiveCheckListener: an endpoint ejected for gateway errors is checked at the unhealthy interval, to see it recover sooner. */
  wantsFastChecks(i: number): boolean {
    return !this.probing && this.release !== null && this.release.watching(i, this.releasable(i))
  }

  /** Whether endpoint i is ejected for gateway errors and Baton's own recovery probes should try it (no active checks). */
  wantsRecoveryProbe(i: number): boolean {
    return this.probing && this.release!.watching(i, this.releasable(i))
  }

  /** Ejected by Baton, not by an operator: only such an ejection may end early on evidence of recovery. */
  private releasable(i: number): boolean {
    return this.ejection.isEjected(i) && !this.ejection.isManual(i)
  }

  /**
   * The admin API ejects endpoint i for durationMs (ejection-manager.ts ejectManually: the cap holds unless
   * `force`; an ejection under way is extended, never shortened). Emits 'ejected' with data.actor.
   */
  ejectManually(i: number, durationMs: number, force: boolean, actor: string, reason: string): ManualEjectResult {
    const nowMs = this.deps.clock.now()
    const result = this.ejection.ejectManually(i, nowMs, durationMs, force)
    if (result === 'overflow') return result
    const remainingMs = Math.round(this.ejection.remainingMs(i, nowMs))
    this.emit(i, 'ejected', reason === '' ? 'manual ejection' : reason, {
      actor,
      manual: 1,
      durationMs: remainingMs,
      limitOverridden: result === 'overridden' ? 1 : 0,
    })
    this.refresh(nowMs)
    return result
  }

  /** The admin API ends endpoint i's ejection, manual or Baton's (backoff kept); false when it was not ejected. */
  unejectManually(i: number, actor: string, reason: string): boolean {
    const nowMs = this.deps.clock.now()
    if (!this.ejection.release(i, nowMs)) return false
    this.emit(i, 'returned', reason === '' ? 'manual uneject' : reason, { actor, manual: 1, timesEjected: this.ejection.timesEjected(i) })
    this.refresh(nowMs)
    return true
  }

  /** The admin API drains endpoint i until undrainManually; false when it already was. Emits 'drain' with data.actor. */
  drainManually(i: number, actor: string, reason: string): boolean {
    if (this.manualDrained[i] === 1) return false
    this.manualDrained[i] = 1
    this.emit(i, 'drain', reason === '' ? 'manual drain' : reason, { actor, manual: 1 })
    this.refresh(this.deps.clock.now())
    return true
  }

  /** Ends endpoint i's manual drain (not a predictive drain, not an ejection); false when there was none. */
  undrainManually(i: number, actor: string, reason: string): boolean {
    if (this.manualDrained[i] === 0) return false
    this.manualDrained[i] = 0
    this.emit(i, 'undrain', reason === '' ? 'manual undrain' : reason, { actor, manual: 1 })
    this.refresh(this.deps.clock.now())
    return true
  }

  /**
   * A recovery probe of endpoint i ended (recovery-prober.ts): `connectOnly` when it was a TCP connect without
   * a GET, `what` names it for the event. Ends the ejection once recovery.passes probes passed in a row (a
   * connect alone only when it disproves the fault, gateway-release.ts); true when it did.
   */
  onRecoveryProbe(i: number, passed: boolean, connectOnly: boolean, what: string): boolean {
    if (!this.wantsRecoveryProbe(i)) return false
    if (!this.release!.probed(i, passed, connectOnly)) return false
    const nowMs = this.deps.clock.now()
    this.ejection.release(i, nowMs)
    const passes = this.release!.passesToRelease
    const cause =
      passes === 1
        ? `recovery probe passed after a gateway-error ejection (${what})`
        : `${passes} consecutive recovery probes passed after a gateway-error ejection (last: ${what})`
    this.emit(i, 'returned', cause, { timesEjected: this.ejection.timesEjected(i) })
    this.refresh(nowMs)
    return true
  }

  /** The endpoint indexes the balancer may use: the same frozen array until something changes. */
  availableIndexes(): readonly number[] {
    return this.routedSet.routed
  }

  /** Whether the balancer may send to endpoint i now. */
  isRouted(i: number): boolean {
    return this.routedSet.routed.includes(i)
  }

  describe(i: number, nowMs: number): EndpointHealth {
    const ejected = this.ejection.isEjected(i)
    return {
      state: this.stateOf(i),
      routed: this.isRouted(i),
      activeHealthy: this.active[i] === ACTIVE_HEALTHY,
      activeState: ACTIVE_STATES[this.active[i]],
      ejected,
      ejectionCount: this.ejection.totalEjections(i),
      ejectionMultiplier: this.ejection.timesEjected(i),
      ejectionRemainingMs: this.ejection.remainingMs(i, nowMs),
      slowStartFactor: this.slowStart.factor(i, nowMs),
      drained: this.drained[i] === 1 || this.manualDrained[i] === 1,
      manualDrain: this.manualDrained[i] === 1,
      manualEjectionUntilMs: ejected && this.ejection.isManual(i) ? Math.round(this.deps.wallClock() + this.ejection.remainingMs(i, nowMs)) : null,
      forecast: this.forecaster === null ? null : this.forecaster.forecast(i),
      outlier: this.detector === null ? null : this.detector.intervalStats(i),
    }
  }

  stats(): ClusterHealthStats {
    return {
      panic: this.routedSet.panic,
      available: this.routedSet.availableCount(),
      ejected: this.ejection.ejectedCount(),
      maxEjected: this.ejection.maxEjectedCount(),
      detected: this.detector === null ? byReason(new Float64Array(OUTLIER_REASONS.length)) : this.detector.detectedCounts(),
      enforced: byReason(this.enforced),
      ejectionOverflow: this.ejection.overflowCount(),
      drainsRefused: this.drainsRefused,
    }
  }

  private handleOutlier(i: number, reason: OutlierReason, data: Record<string, number>): void {
    const nowMs = this.deps.clock.now()
    if (this.ejection.eject(i, nowMs) !== 'ejected') return
    const slot = OUTLIER_REASON_INDEX.get(reason)!
    this.enforced[slot]++
    if (this.release !== null) this.release.ejected(i, slot === GATEWAY_ERRORS, this.lastRefused[i] === 1)
    const durationMs = Math.round(this.ejection.remainingMs(i, nowMs)) // whole ms: the float clock leaves 1000.0000000000002
    this.emit(i, 'ejected', reason, { ...data, durationMs, timesEjected: this.ejection.timesEjected(i) })
    this.refresh(nowMs)
    const onGateway = this.deps.onGatewayEjection
    if (onGateway != null && this.wantsRecoveryProbe(i)) onGateway(i)
  }

  private handleForecast(i: number, decision: ForecastDecision, forecast: Forecast | null, cause: string): void {
    const data = forecast === null ? {} : forecastData(forecast)
    if (decision === 'undrain') {
      if (this.drained[i] === 0) return
      this.drained[i] = 0
      this.emit(i, 'undrain', cause, data)
      return
    }
    this.emit(i, 'predicted-failure', cause, data)
    if (this.routedSet.mayRemove(i)) this.drain(i, cause, data)
    else this.drainsRefused++
  }

  /**
   * Where a latency trend is projected to: the latency-outlier ejection threshold (outlier.latencyMultiple ×
   * the upstream's median p99), so a drain anticipates the ejection it forecasts; capped by
   * forecast.latencyLimitMs, which alone applies before the median is known.
   */
  private forecastLatencyLimitMs(): number {
    const cap = this.config.forecast.latencyLimitMs
    const threshold = this.config.outlier.latencyMultiple * this.latencyBaselineMs
    return threshold < cap ? threshold : cap // NaN compares false: the cap
  }

  /** Drains that were refused, retried while their prediction holds. */
  private retryDrains(): void {
    if (this.forecaster === null) return
    for (let i = 0; i < this.n; i++) {
      if (this.drained[i] === 0 && this.forecaster.wantsDrain(i) && this.routedSet.mayRemove(i)) {
        const forecast = this.forecaster.forecast(i)
        this.drain(i, 'predicted failure, drain no longer pushes the upstream into panic', forecast === null ? {} : forecastData(forecast))
      }
    }
  }

  private drain(i: number, cause: string, data: Record<string, number | string>): void {
    this.drained[i] = 1
    this.routedSet.remove(i)
    this.emit(i, 'drain', cause, data)
  }

  /** Recomputes the routed set and tells the listener when it changed. */
  private refresh(nowMs: number): void {
    if (this.recompute(nowMs) && this.deps.onAvailabilityChange !== null) this.deps.onAvailabilityChange(this.routedSet.routed, this.routedSet.panic)
  }

  /** Recomputes the routed set (slow start for returning endpoints), announcing panic; true when the set changed. */
  private recompute(nowMs: number): boolean {
    this.refreshMs = nowMs
    for (let i = 0; i < this.n; i++) this.held[i] = this.manualDrained[i] === 1 || this.ejection.isManual(i) ? 1 : 0
    const set = this.routedSet
    const changed = set.update(this.ownAvailability, this.beginSlowStart)
    if ((changed & PANIC_CHANGED) !== 0) {
      const available = set.availableCount()
      const known = set.knownCount()
      this.emit(-1, set.panic ? 'panic-on' : 'panic-off', `${available} of ${known} endpoints available`, {
        available,
        known,
        threshold: this.config.panicThreshold,
      })
    }
    return (changed & ROUTED_CHANGED) !== 0
  }

  private stateOf(i: number): EndpointHealthState {
    if (this.active[i] === ACTIVE_UNKNOWN) return 'unknown'
    if (this.active[i] === ACTIVE_UNHEALTHY) return 'unhealthy'
    if (this.ejection.isEjected(i)) return 'ejected'
    if (this.drained[i] === 1 || this.manualDrained[i] === 1) return 'drained'
    return 'available'
  }

  /** i = -1 for upstream-wide events. */
  private emit(i: number, kind: HealthEventKind, cause: string, data: Record<string, number | string>): void {
    this.deps.events.push({
      timeMs: this.deps.wallClock(),
      upstream: this.upstream,
      endpoint: i < 0 ? '' : this.endpointIds[i],
      kind,
      cause,
      data,
    })
  }
}

const GATEWAY_ERRORS = OUTLIER_REASON_INDEX.get('consecutive-gateway-errors')!

function forecastData(f: Forecast): Record<string, number | string> {
  return { metric: f.metric, current: f.current, limit: f.limit, slopePerSecond: f.slopePerSecond, crossingInMs: f.crossingInMs, r2: f.r2 }
}
