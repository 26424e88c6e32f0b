import type { ConnectionOptions } from 'node:tls'
import { ProbeClients } from './probe-clients.js'
import type { ActiveHealthConfig } from '../config/types.js'
import type { Clock } from '../util/clock.js'
import type { Rng } from '../util/rng.js'
import { probe } from './http-probe.js'
import { type ActiveState, RiseFall } from './rise-fall.js'

/** What the checker reports to, and asks about, each endpoint. */
export interface ActiveCheckListener {
  /** The endpoint's active health flipped (after rise/fall consecutive results, see rise-fall.ts). */
  onHealthChange(index: number, healthy: boolean, cause: string): void
  /** Every check's verdict, after onHealthChange when it flipped the state. */
  onCheckResult(index: number, passed: boolean): void
  /** Whether the endpoint, though healthy to the checks, is out of traffic until they see it recover (ejected). */
  wantsFastChecks(index: number): boolean
}

/** The last check of one endpoint, for the admin API. */
export interface CheckResult {
  /** HTTP status, 0 when no response came (refused, reset, timeout). */
  readonly status: number
  /** From sending the check to its verdict, ms (monotonic clock). */
  readonly latencyMs: number
  /** Why it failed; null when it passed. */
  readonly error: string | null
  /** When it finished, wall-clock ms since the epoch. */
  readonly timeMs: number
}

export interface ActiveCheckerDeps {
  clock: Clock
  wallClock: () => number
  rng: Rng
  listener: ActiveCheckListener
  /** How https:// endpoints are verified, as for the upstream's requests; undefined: Node's defaults. */
  tls?: ConnectionOptions
}

/**
 * Active health checks of one upstream's endpoints. Each endpoint has its own undici Client (pipelining 1),
 * separate from the request pool, so checks never queue behind traffic nor count in its connections.
 * One check per endpoint is in flight at a time: the next is scheduled when the previous ends, after
 * intervalMs (unhealthyIntervalMs while unhealthy, unknown or wanted fast by the listener, to notice a recovery
 * sooner) plus a uniform 0..jitterMs drawn from the injected rng, so the checks of many endpoints and proxies
 * do not synchronise.
 * The first check of each endpoint runs after 0..jitterMs. Timers are unref'd: checks never keep the process alive.
 */
export class ActiveChecker {
  private readonly riseFall: RiseFall
  private readonly clients: ProbeClients
  private readonly timers: (NodeJS.Timeout | null)[]
  private readonly results: (CheckResult | null)[]
  private running = false
  private stopped = false

  constructor(
    private readonly urls: readonly string[],
    private readonly config: ActiveHealthConfig,
    private readonly deps: ActiveCheckerDeps,
  ) {
    this.riseFall = new RiseFall(urls.length, config.rise, config.fall, config.initialState)
    this.clients = new ProbeClients(urls, deps.tls)
    this.timers = urls.map(() => null)
    this.results = urls.map(() => null)
  }

  /** Schedules the first checks (each endpoint's client is made at its first: health/probe-clients.ts). Once only: a stopped checker stays stopped. */
  start(): void {
    if (this.running || this.stopped) throw new Error('ActiveChecker.start() called twice')
    this.running = true
    for (let i = 0; i < this.urls.length; i++) {
      this.schedule(i, this.deps.rng.next() * this.config.jitterMs)
    }
  }

  /** Clears the timers and destroys the clients, failing any check in flight (its result is discarded). */
  async stop(): Promise<void> {
    this.running = false
    this.stopped = true
    for (let i = 0; i < this.timers.length; i++) {
      const timer = this.timers[i]
      if (timer !== null) clearTimeout(timer)
      this.timers[i] = null
    }
    await this.clients.destroy()
  }

  state(i: number): ActiveState {
    return this.riseFall.state(i)
  }

  lastCheck(i: number): CheckResult | null {
    return this.results[i]
  }

  private schedule(i: number, delayMs: number): void {
    const timer = setTimeout(this.check, delayMs, i)
    timer.unref()
    this.timers[i] = timer
  }

  /** A bound method, so scheduling creates no closure. */
  private readonly check = async (i: number): Promise<void> => {
    this.timers[i] = null
    if (!this.running) return
    const startedMs = this.deps.clock.now()
    const verdict = await probe(this.clients.client(i), this.config)
    if (!this.running) return
    this.results[i] = {
      status: verdict.status,
      latencyMs: this.deps.clock.now() - startedMs,
      error: verdict.failure,
      timeMs: this.deps.wallClock(),
    }
    const before = this.riseFall.state(i)
    const flipped = this.riseFall.record(i, verdict.failure === null)
    const listener = this.deps.listener
    if (flipped !== null) listener.onHealthChange(i, flipped === 'healthy', this.flipCause(before, flipped, verdict.failure))
    listener.onCheckResult(i, verdict.failure === null)
    this.schedule(i, this.nextDelay(i))
  }

  private nextDelay(i: number): number {
    const slow = this.riseFall.state(i) === 'healthy' && !this.deps.listener.wantsFastChecks(i)
    const base = slow ? this.config.intervalMs : this.config.unhealthyIntervalMs
    return base + this.deps.rng.next() * this.config.jitterMs
  }

  /** Why it flipped: the threshold reached (one check from 'unknown'), and for a failure the last check's reason. */
  private flipCause(from: ActiveState, to: ActiveState, failure: string | null): string {
    if (from === 'unknown') return to === 'healthy' ? 'first check passed' : `first check failed: ${failure}`
    if (to === 'healthy') return this.config.rise === 1 ? 'check passed' : `${this.config.rise} consecutive checks passed`
    return this.config.fall === 1 ? `check failed: ${failure}` : `${this.config.fall} consecutive checks failed, last: ${failure}`
  }
}
