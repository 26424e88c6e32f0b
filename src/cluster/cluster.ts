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
import { HedgeDelay } from './hedge-delay.js'
import type { Clock } from '../util/clock.js'
import type { Rng } from '../util/rng.js'
import type { ClusterEndpoint } from './cluster-endpoint.js'
import { succeed } from './cluster-succession.js'
import { upstreamTlsOptions } from './upstream-tls.js'

export interface ClusterDeps {
  /** Monotonic ms. */
  clock: Clock
  /** Wall-clock ms since the epoch: event and model timestamps. */
  wallClock: () => number
  rng: Rng
  /** Where health transitions of every upstream are recorded. */
  events: EventLog
  /** Timers of the recovery probes; Node's (unref'd) when absent. */
  scheduler?: Scheduler
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
  private readonly clock: Clock
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
    this.retryBudget = new RetryBudget(config.retry.budgetFraction, config.retry.budgetMinConcurrent)
    this.hedgeDelay = new HedgeDelay(config.retry.hedge)
    this.clock = deps.clock
    const startMs = deps.clock.now()
    const succession = succeed(config, previous, startMs)
    this.endpoints = succession.endpoints
    this.inherited = succession.handedOver
    const built = buildPolicy(config.policy, { ...deps, upstream: config.name })
    this.balancer = new Balancer<ClusterEndpoint>(built.policy, deps.rng)
    this.model = built.model
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
    this.route(this.health.availableIndexes())
    if (previous !== null) this.adopt(previous, succession.from)
  }

  /** Takes over the previous cluster's health and learned state for the endpoints that stayed. */
  private adopt(previous: Cluster, from: Int32Array): void {
    this.health.adopt(previous.health, from)
    const policy = this.balancer.policy
    if (policy.adopt !== undefined) policy.adopt(previous.balancer.policy, from)
  }

  /** Starts the active health checks, if configured, else the recovery probes (armed for endpoints already ejected). */
  start(): void {
    if (this.checker !== null) this.checker.start()
    if (this.prober !== null) this.prober.start()
    if (this.modelProber !== null) this.modelProber.start()
  }

  /** An endpoint for attempt number `attempt` (1 for the first retry), avoiding the one that failed. */
  pickRetry(failedIndex: number, attempt: number): ClusterEndpoint | null {
    this.retryContext.exclude = failedIndex
    this.retryContext.attempt = attempt
    return this.balancer.pick(this.retryContext)
  }

  /*
   * The one observation point: how each attempt went reaches the endpoint's statistics, the policy, health
   * and the retry budget through these calls, once each. The policy learns the latency at the response
   * headers; health (outlier detection, forecasts) waits for the end of a non-5xx body, so a backend that
   * sends 200 and then dies counts as failing, not as a success followed by a failure.
   */

  /** A request entered this upstream (the retry budget's base). */
  requestStarted(): void {
    this.retryBudget.requestStarted()
  }

  /** The request is over with every try; `retryTokens` (its retries and hedges) go back to the budget. */
  requestEnded(retryTokens: number): void {
    this.retryBudget.requestEnded(retryTokens)
  }

  /** Response headers arrived after latencyMs. A 5xx is final for health here: its body changes nothing. */
  observeHeaders(e: ClusterEndpoint, latencyMs: number, status: number, nowMs: number): void {
    e.stats.recordResponse(status, latencyMs)
    const outcome = status >= 500 ? Outcome.HttpError : Outcome.Success
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

  /** Periodic work off the hot path (about once a second): policy decay and refits, hedge delay, health, forecasts, slow start. */
  tick(nowMs: number): void {
    this.balancer.tick(nowMs)
    this.hedgeDelay.refresh(this.endpoints)
    this.health.tick(nowMs)
    this.refreshRamp(nowMs)
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
    if (this.checker !== null) await this.checker.stop()
    if (this.prober !== null) await this.prober.stop()
    if (this.modelProber !== null) await this.modelProber.stop()
    await Promise.all(this.endpoints.filter((e) => !handedOver.has(e)).map((e) => e.close(graceMs)))
  }

  /**
   * The routable set changed (health, ejection, drain, panic): the balancer chooses among these now, and an
   * endpoint that just returned ramps from its first pick, not from the next tick.
   */
  private route(indexes: readonly number[]): void {
    this.balancer.setAvailable(indexes.map((i) => this.endpoints[i]))
    this.refreshRamp(this.clock.now())
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
