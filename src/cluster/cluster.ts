import { Balancer } from '../balancer/balancer.js'
import { buildPolicy } from '../balancer/policies/policy-factory.js'
import type { PickContext } from '../balancer/types.js'
import { Outcome } from '../util/outcome.js'
import type { HashKeySpec, RetryConfig, UpstreamConfig } from '../config/types.js'
import { ActiveChecker } from '../health/active-checker.js'
import type { EventLog } from '../health/event-log.js'
import { ClusterHealth } from '../health/cluster-health.js'
import { ModelProber } from '../health/model-prober.js'
import { RecoveryProber, systemScheduler, type Scheduler } from '../health/recovery-prober.js'
import type { AdaptiveModelManager } from '../model/adaptive-manager.js'
import { RetryBudget } from '../overload/retry-budget.js'
import { EndpointHolds } from '../overload/endpoint-holds.js'
import { retryAfterMs, retryAfterValue } from '../overload/retry-after.js'
import { StormDamper } from '../overload/storm-damper.js'
import { StormDetector, type StormSignal } from '../overload/storm-detector.js'
import { DEFAULT_SCALING } from '../config/build-scaling.js'
import type { ScalingRegistry } from '../scaling/scaling-registry.js'
import type { UpstreamScaling } from '../scaling/upstream-scaling.js'
import { AdmissionControl, type AdmissionTimers } from '../overload/admission-control.js'
import { ShedAnswers } from '../overload/shed-answers.js'
import { DEFAULT_OVERLOAD } from '../config/build-admission.js'
import { HedgeDelay } from './hedge-delay.js'
import { modelEventRecorder } from './model-events.js'
import type { Clock } from '../util/clock.js'
import type { Rng } from '../util/rng.js'
import type { ClusterEndpoint } from './cluster-endpoint.js'
import { succeed } from './cluster-succession.js'
import { RETRY_REDRAWS, wasTried } from '../balancer/tried-endpoints.js'
import { upstreamTlsOptions } from './upstream-tls.js'

export interface ClusterDeps {
  /** Monotonic ms. */
  clock: Clock
  /** Wall-clock ms since the epoch: event and model timestamps. */
  wallClock: () => number
  rng: Rng
  /** Where health transitions of every upstream are recorded. */
  events: EventLog
  /** Timers of the recovery probes and of Retry-After holds; Node's (unref'd) when absent. */
  scheduler?: Scheduler
  /**
   * Who says an upstream is storming (an instance-wide anomaly monitor); absent: each cluster's own
   * StormDetector, fed on its tick. Either way storm.enabled false turns damping off.
   */
  stormSignal?: StormSignal
  /** Where the upstream's scaling signal lives across reloads; absent: no scaling signal. */
  scaling?: ScalingRegistry
  /** The admission queue's deadline timer; Node's (unref'd) when absent. */
  admissionTimers?: AdmissionTimers
}

/**
 * One upstream: its endpoints with their pools and statistics, their health (active checks, outlier
 * ejection, predictive drains, slow start, panic), and the balancer choosing among the routable ones.
 * Built once per config snapshot; start() begins the active checks, close() ends everything.
 */
export class Cluster {
  readonly name: string
  readonly policy: string
  readonly endpoints: readonly ClusterEndpoint[]
  readonly balancer: Balancer<ClusterEndpoint>
  /** Whether the Host header is replaced by the endpoint's host:port. */
  readonly rewriteHost: boolean
  readonly retry: RetryConfig
  readonly retryBudget: RetryBudget
  /** Permits, the adaptive limit, the priority queue and the breakers (overload/admission-control.ts). */
  readonly admission: AdmissionControl
  /** The prebuilt 503s of admission's refusals, with this upstream's Retry-After. */
  readonly shedAnswers: ShedAnswers
  /** When a request without headers yet gets a hedged copy; its p95 form is recomputed on tick. */
  readonly hedgeDelay: HedgeDelay
  readonly health: ClusterHealth
  /** null when active checks are off. */
  readonly checker: ActiveChecker | null
  /** Baton's own probes of gateway-error ejections (health.recovery); null with active checks or recovery off. */
  readonly prober: RecoveryProber | null
  /** Timed probes of the endpoints the learned policy sends nothing (its exploration); null unless it wants them. */
  readonly modelProber: ModelProber | null
  /** Endpoint objects taken over whole from the cluster this one replaced (its retire() must not close them). */
  readonly inherited: ReadonlySet<ClusterEndpoint>
  /** The learned model's versions and persistence; null unless the policy is adaptive. */
  readonly model: AdaptiveModelManager | null
  /** Where a request's hash key comes from (PickContext.hashKey, server/hash-key.ts); null unless the policy is hash. */
  readonly hashKeySpec: HashKeySpec | null
  /** Endpoints a backend's Retry-After holds out of picks and retries (overload/endpoint-holds.ts). */
  readonly holds: EndpointHolds
  /** Storm damping of retries and hedges; null with storm.enabled false. */
  readonly storm: StormDamper | null
  /** The cluster's own storm detector, fed on tick; null when a shared signal stands in or storms are off. */
  readonly stormDetector: StormDetector | null
  /**
   * Client requests that entered the upstream, and those whose client got a 5xx (Baton's or a backend's) after
   * every try: what the storm detector samples. Not attempts: the retries that hide one failing endpoint would
   * otherwise look like a surge, and damping them would hand that endpoint's errors to the clients (seen in the
   * soak test). A client storm, or a failure that retries cannot hide, shows here.
   */
  requests = 0
  failedRequests = 0
  private readonly wallClock: () => number
  private readonly scheduler: Scheduler
  /** The routed set health gave last, before holds are taken out. */
  private healthRouted: readonly number[] = []
  /** The timer ending the earliest hold, and when it fires (monotonic ms; Infinity when none). */
  private holdTimer: unknown = null
  private holdTimerMs = Infinity
  private readonly holdEnded = (): void => {
    this.holdTimer = null
    this.holdTimerMs = Infinity
    // One reading of the clock for both: a timer may fire a fraction of a ms before the hold ends, and with two
    // readings the route could still see the hold while the re-arm saw it over, and the endpoint stayed out for
    // good (CI: a backend's Retry-After: 2 and no traffic to it 5 s later, about one run in eight).
    const nowMs = this.clock.now()
    this.route(this.healthRouted, nowMs)
    this.armHoldTimer(nowMs)
  }
  /** How many endpoints the upstream needs (src/scaling/), updated on tick; null without a registry in the deps. */
  readonly scaling: UpstreamScaling | null
  private readonly clock: Clock
  private readonly events: EventLog
  /**
   * Weights set through the admin API by endpoint index, NaN where the config's weight applies. A reload keeps
   * an endpoint's manual weight while the file's weight for it stays what it was; editing that weight in the
   * file is the newer decision and wins.
   */
  private readonly manualWeights: Float64Array
  /** Slow-start factors by endpoint index, refreshed on tick and handed to the balancer while any is below 1. */
  private readonly ramp: Float64Array
  /** Reused for retry picks: picks never overlap on this thread. */
  private readonly retryContext: PickContext = { hashKey: 0, attempt: 0, exclude: -1 }

  /**
   * `previous`: the cluster this one replaces on a config reload (same upstream name), whose endpoints that
   * stay hand over their pools, counters, health and learned state (cluster-succession.ts); null at start.
   */
  constructor(
    readonly config: UpstreamConfig,
    deps: ClusterDeps,
    previous: Cluster | null = null,
  ) {
    this.name = config.name
    this.policy = config.policy.name
    this.hashKeySpec = config.policy.name === 'hash' ? config.policy.key : null
    this.rewriteHost = config.rewriteHost
    this.retry = config.retry
    const overload = config.overload ?? DEFAULT_OVERLOAD
    this.retryBudget = new RetryBudget(config.retry.budgetFraction, config.retry.budgetMinConcurrent, overload.breakers.maxRetries)
    this.hedgeDelay = new HedgeDelay(config.retry.hedge)
    this.clock = deps.clock
    this.wallClock = deps.wallClock
    this.scheduler = deps.scheduler ?? systemScheduler
    this.events = deps.events
    const startMs = deps.clock.now()
    const succession = succeed(config, previous, startMs)
    this.endpoints = succession.endpoints
    this.inherited = succession.handedOver
    const built = buildPolicy(config.policy, { ...deps, upstream: config.name })
    this.balancer = new Balancer<ClusterEndpoint>(built.policy, deps.rng)
    this.model = built.model
    this.model?.onEvent(modelEventRecorder(deps.events, deps.wallClock, config.name))
    this.health = new ClusterHealth(
      config.name,
      this.endpoints.map((e) => e.id),
      config.health,
      {
        clock: deps.clock,
        wallClock: deps.wallClock,
        events: deps.events,
        onAvailabilityChange: (routed) => this.route(routed),
        onGatewayEjection: (i) => this.prober?.arm(i),
      },
    )
    const active = config.health.active
    this.checker =
      active === null
        ? null
        : new ActiveChecker(this.endpoints.map((e) => e.url), active, { ...deps, listener: this.health, tls: upstreamTlsOptions(config.tls) })
    this.prober =
      active === null && config.health.recovery.enabled
        ? new RecoveryProber(this.endpoints.map((e) => e.url), config.health.recovery, {
            clock: deps.clock,
            scheduler: deps.scheduler ?? systemScheduler,
            target: this.health,
            tls: upstreamTlsOptions(config.tls),
          })
        : null
    this.scaling = deps.scaling?.forUpstream(config.name, config.scaling ?? DEFAULT_SCALING) ?? null
    if (config.loadReport != null) this.model?.setLoadWeight(config.loadReport.weight)
    this.admission = new AdmissionControl(overload, {
      clock: deps.clock,
      retryBudget: this.retryBudget,
      poolConnections: this.endpoints.length * config.poolConnections,
      events: (kind, cause, data) => deps.events.push({ timeMs: deps.wallClock(), upstream: config.name, endpoint: '', kind, cause, data }),
      timers: deps.admissionTimers,
    })
    this.shedAnswers = new ShedAnswers(overload.retryAfterSec)
    this.modelProber =
      built.probes === null
        ? null
        : new ModelProber(this.endpoints.map((e) => e.url), {
            clock: deps.clock,
            scheduler: deps.scheduler ?? systemScheduler,
            target: built.probes,
            tls: upstreamTlsOptions(config.tls),
          })
    this.ramp = new Float64Array(this.endpoints.length).fill(1)
    this.holds = new EndpointHolds(this.endpoints.length)
    this.stormDetector = config.storm.enabled && deps.stormSignal === undefined ? new StormDetector(config.storm) : null
    const signal = deps.stormSignal ?? this.stormDetector
    this.storm = config.storm.enabled && signal != null ? new StormDamper(config.name, config.storm, signal, deps) : null
    this.manualWeights = new Float64Array(this.endpoints.length).fill(Number.NaN)
    this.route(this.health.availableIndexes())
    if (previous !== null) this.adopt(previous, succession.from)
  }

  /** Takes over the previous cluster's health and learned state for the endpoints that stayed. */
  private adopt(previous: Cluster, from: Int32Array): void {
    this.health.adopt(previous.health, from)
    this.admission.adopt(previous.admission)
    const policy = this.balancer.policy
    if (policy.adopt !== undefined) policy.adopt(previous.balancer.policy, from)
    this.holds.adopt(previous.holds, from)
    if (this.stormDetector !== null && previous.stormDetector !== null) this.stormDetector.adopt(previous.stormDetector)
    if (this.storm !== null && previous.storm !== null) this.storm.adopt(previous.storm)
    this.applyDamping()
    for (let j = 0; j < from.length; j++) {
      const i = from[j]
      if (i < 0 || Number.isNaN(previous.manualWeights[i]) || previous.config.endpoints[i].weight !== this.config.endpoints[j].weight) continue
      this.manualWeights[j] = previous.manualWeights[i]
      this.endpoints[j].weight = previous.manualWeights[i]
    }
    const nowMs = this.clock.now()
    this.route(this.healthRouted) // after the weights: the policy reads them when it rebuilds
    this.armHoldTimer(nowMs)
  }

  /**
   * The admin API sets endpoint i's weight (a whole number 1..10000, as in the config). Every policy that
   * weighs (round_robin, random, least_request, hash) reads weights in rebuild(), which runs now; peak_ewma
   * and adaptive choose by load and ignore weights. Emits a 'weight' event with data.actor; false when the
   * weight was already that.
   */
  setWeight(i: number, weight: number, actor: string, reason: string): boolean {
    const e = this.endpoints[i]
    const before = e.weight
    this.manualWeights[i] = weight
    if (before === weight) return false
    e.weight = weight
    this.route(this.healthRouted)
    this.events.push({
      timeMs: this.wallClock(),
      upstream: this.name,
      endpoint: e.id,
      kind: 'weight',
      cause: reason === '' ? `manual weight ${before} → ${weight}` : reason,
      data: { actor, before, after: weight, configWeight: this.config.endpoints[i].weight },
    })
    return true
  }

  /** The weight the admin API set for endpoint i; null when the config's applies. */
  manualWeight(i: number): number | null {
    return Number.isNaN(this.manualWeights[i]) ? null : this.manualWeights[i]
  }

  /** Starts the active health checks, if configured, else the recovery probes (armed for endpoints already ejected). */
  start(): void {
    if (this.checker !== null) this.checker.start()
    if (this.prober !== null) this.prober.start()
    if (this.modelProber !== null) this.modelProber.start()
  }

  /**
   * An endpoint for attempt number `attempt` (1 for the first retry), avoiding the one that failed and, where it
   * can, every one in `tried` (triedBit of each endpoint this request went to); null when the pick is held by its
   * Retry-After (only possible when every routed endpoint is held).
   */
  pickRetry(failedIndex: number, attempt: number, tried: number): ClusterEndpoint | null {
    const ctx = this.retryContext
    ctx.exclude = failedIndex
    ctx.attempt = attempt
    const first = this.balancer.pick(ctx)
    let next = first
    // Envoy's previous_hosts retry predicate: a pick this request already tried (the failed one is excluded, but a
    // second retry could go back to the first failure) is redrawn, past it, a bounded number of times.
    for (let draws = 1; next !== null && draws < RETRY_REDRAWS && wasTried(tried, next.index); draws++) {
      ctx.exclude = next.index
      next = this.balancer.pick(ctx)
    }
    // Redraws that found nothing new (a policy can keep drawing the same few): the first one not tried, else the first pick.
    if (next === null || wasTried(tried, next.index)) next = this.balancer.firstUntried(tried) ?? first
    return next !== null && this.holds.isHeld(next.index, this.clock.now()) ? null : next
  }

  /** The hedge delay under storm damping: delay / level (fewer requests cross it), -1 (no hedge) at level 0. */
  hedgeDelayMs(): number {
    const delayMs = this.hedgeDelay.delayMs
    const level = this.storm === null ? 1 : this.storm.level
    return delayMs < 0 || level === 0 ? -1 : delayMs / level
  }

  /*
   * The one observation point: how each attempt went reaches the endpoint's statistics, the policy, health
   * and the retry budget through these calls, once each. The policy learns the latency at the response
   * headers; health (outlier detection, forecasts) waits for the end of a non-5xx body, so a backend that
   * sends 200 and then dies counts as failing, not as a success followed by a failure.
   */

  /** A request entered this upstream (the retry budget's base). */
  requestStarted(): void {
    this.requests++
    this.retryBudget.requestStarted()
  }

  /**
   * The request is over with every try; `retryTokens` (its retries and hedges) go back to the budget, and its
   * admission permit, when it held one, to admission (exactly once: the exchange ends once). `clientStatus`: what
   * the client was answered (0 when it left first).
   */
  requestEnded(retryTokens: number, permit: boolean, clientStatus: number): void {
    if (clientStatus >= 500) this.failedRequests++
    this.retryBudget.requestEnded(retryTokens)
    if (permit) this.admission.release()
  }

  /**
   * The endpoint's response reported its load (upstream loadReport; NaN when the header was absent or malformed,
   * which changes nothing). Only the adaptive model prices it; other policies ignore it.
   */
  observeLoad(e: ClusterEndpoint, load: number, nowMs: number): void {
    if (load >= 0 && this.model !== null) this.model.observeLoad(e.index, load, nowMs)
  }

  /** Response headers arrived after latencyMs. A 5xx is final for health here: its body changes nothing. */
  observeHeaders(e: ClusterEndpoint, latencyMs: number, status: number, nowMs: number): void {
    e.stats.recordResponse(status, latencyMs)
    this.admission.sample(latencyMs, nowMs)
    // A 429 that came with a Retry-After (observeRetryAfter, just before) is an error to the policy: the penalty.
    const outcome = status >= 500 || (status === 429 && this.holds.isHeld(e.index, nowMs)) ? Outcome.HttpError : Outcome.Success
    this.balancer.observe(e, latencyMs, status, outcome, nowMs)
    if (status >= 500) this.health.observe(e.index, outcome, status, latencyMs)
  }

  /**
   * The body of a response with headers after latencyMs ended: complete (Success) or broken off (with the
   * failure's code, counted as a broken response unless null or the client's doing).
   */
  observeBodyEnd(e: ClusterEndpoint, latencyMs: number, status: number, outcome: Outcome, code: string | null, nowMs: number): void {
    if (code !== null && outcome !== Outcome.ClientAbort) e.stats.recordBrokenResponse(code)
    if (status >= 500) return
    // The policy already learned this answer's latency; a broken body is one more thing it should know.
    // A client leaving mid-body is nobody's failure, and the policy has nothing pending for it any more.
    if (outcome !== Outcome.Success && outcome !== Outcome.ClientAbort) this.balancer.observe(e, latencyMs, 0, outcome, nowMs)
    this.health.observe(e.index, outcome, status, latencyMs)
  }

  /**
   * The attempt failed after latencyMs without any response (refused, reset, timeout, client abort, a client
   * fault), `code` being the failure's; a ClientAbort outcome is the client's (error-mapping.ts), never the endpoint's.
   */
  observeFailure(e: ClusterEndpoint, latencyMs: number, outcome: Outcome, code: string, nowMs: number): void {
    e.stats.recordFailure(code, outcome === Outcome.ClientAbort)
    if (outcome === Outcome.Timeout) this.admission.sample(latencyMs, nowMs) // a stall is latency the limit must see
    this.balancer.observe(e, latencyMs, 0, outcome, nowMs)
    this.health.observe(e.index, outcome, 0, latencyMs)
  }

  /**
   * A try cancelled after waitMs without headers because its hedged twin answered first. Statistics count it as
   * a client abort and health sees one (never the endpoint's fault: a hedge loser must not eject), but the
   * policy learns a timeout after the wait: the try stalled at least that long, and forgetting it (a client
   * abort to the policy) would end the stall the policy was measuring the moment the hedge won.
   */
  observeHedgeLoser(e: ClusterEndpoint, waitMs: number, code: string, nowMs: number): void {
    e.stats.recordFailure(code, true)
    this.balancer.observe(e, waitMs, 0, Outcome.Timeout, nowMs)
    this.health.observe(e.index, Outcome.ClientAbort, 0, waitMs)
  }

  /**
   * A 429 or 503 from `e` (before observeHeaders): with a readable Retry-After (retryAfter.enabled), `e` is
   * held out of picks and retries until then, capped at retryAfter.max. Per endpoint; a later, longer
   * Retry-After extends the hold, a shorter one changes nothing.
   */
  observeRetryAfter(e: ClusterEndpoint, rawHeaders: readonly Buffer[], nowMs: number): void {
    const config = this.config.retryAfter
    if (!config.enabled) return
    const value = retryAfterValue(rawHeaders)
    if (value === null) return
    const holdMs = retryAfterMs(value, this.wallClock(), config.maxMs)
    if (holdMs <= 0 || !this.holds.hold(e.index, nowMs + holdMs)) return
    this.route(this.healthRouted)
    this.armHoldTimer(nowMs)
  }

  /** Periodic work off the hot path (about once a second): policy decay and refits, hedge delay, health, forecasts, slow start, storms. */
  /** Periodic work off the hot path (about once a second): policy decay and refits, hedge delay, health, forecasts, slow start, scaling. */
  tick(nowMs: number): void {
    this.balancer.tick(nowMs)
    this.hedgeDelay.refresh(this.endpoints)
    this.health.tick(nowMs)
    this.admission.tick(nowMs)
    this.refreshRamp(nowMs)
    if (this.stormDetector !== null) this.stormDetector.sample(this.requests, this.failedRequests, nowMs)
    if (this.storm !== null) {
      this.storm.tick(nowMs)
      this.applyDamping()
    }
    this.scaling?.tick(nowMs, this)
  }

  /** Starts a new statistics interval on every endpoint. */
  rollover(nowMs: number): void {
    for (let i = 0; i < this.endpoints.length; i++) this.endpoints[i].stats.rollover(nowMs)
  }

  async close(graceMs: number): Promise<void> {
    await this.retire(new Set(), graceMs)
  }

  /**
   * Replaced by a reload or removed: active checks and recovery probes stop, and the endpoints not handed over to a successor
   * finish what they carry (within graceMs) and close their pools.
   */
  async retire(handedOver: ReadonlySet<ClusterEndpoint>, graceMs: number): Promise<void> {
    if (this.holdTimer !== null) this.scheduler.clear(this.holdTimer)
    this.holdTimer = null
    if (this.checker !== null) await this.checker.stop()
    if (this.prober !== null) await this.prober.stop()
    if (this.modelProber !== null) await this.modelProber.stop()
    await Promise.all(this.endpoints.filter((e) => !handedOver.has(e)).map((e) => e.close(graceMs)))
  }

  /**
   * The routable set changed (health, ejection, drain, panic): the balancer chooses among these now, and an
   * endpoint that just returned ramps from its first pick, not from the next tick.
   */
  private route(indexes: readonly number[], nowMs = this.clock.now()): void {
    this.healthRouted = indexes
    this.balancer.setAvailable(this.holds.filter(indexes, nowMs).map((i) => this.endpoints[i]))
    this.refreshRamp(nowMs)
  }

  /** The timer that puts held endpoints back when the earliest hold ends (a hold is rare: one timer at a time). */
  private armHoldTimer(nowMs: number): void {
    const nextMs = this.holds.nextEndMs(nowMs)
    if (nextMs === Infinity || nextMs >= this.holdTimerMs) return
    if (this.holdTimer !== null) this.scheduler.clear(this.holdTimer)
    this.holdTimerMs = nextMs
    this.holdTimer = this.scheduler.set(this.holdEnded, nextMs - nowMs, 0)
  }

  /**
   * Storm damping: retries and hedges scaled by the damper's level, and while the storm lasts the lowest class
   * that would have to wait is shed on arrival (admission pressure 1), so a surge queues only what matters more.
   */
  private applyDamping(): void {
    this.retryBudget.damping = this.storm === null ? 1 : this.storm.level
    this.admission.setPressure(this.storm !== null && this.storm.storming ? 1 : 0)
  }

  private refreshRamp(nowMs: number): void {
    let ramping = false
    for (let i = 0; i < this.ramp.length; i++) {
      this.ramp[i] = this.health.slowStartFactor(i, nowMs)
      if (this.ramp[i] < 1) ramping = true
    }
    this.balancer.setRamp(ramping ? this.ramp : null)
  }
}
