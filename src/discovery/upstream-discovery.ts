import type { DiscoveryConfig, EndpointConfig } from '../config/types.js'
import type { Logger } from '../util/logger.js'
import { sameEndpoints, sortEndpoints } from './endpoint-set.js'
import { refreshDelayMs, type Timers } from './schedule.js'
import { describeSource, type EndpointSource } from './source.js'

/** Where discovered sets go: the runtime, which applies them through its reload path and records events. */
export interface DiscoverySink {
  /**
   * `upstream`'s source found another set (sorted by id): apply it. Resolves true once it runs, and it is
   * then the last good set; false when it was not applied (shutting down, the source was replaced).
   */
  apply(upstream: string, endpoints: readonly EndpointConfig[], source: DiscoveryConfig): Promise<boolean>
  /** A read failed, or answered nothing after there had been endpoints: the last good set (`kept` endpoints) stays. */
  failed(upstream: string, source: DiscoveryConfig, error: string, kept: number): void
}

export interface UpstreamDiscoveryDeps {
  readonly sink: DiscoverySink
  readonly logger: Logger
  readonly timers: Timers
}

/**
 * The discovery loop of one upstream: reads its source now, then again on the source's schedule (interval,
 * TTL, file poll) and whenever the source says it may have changed (a file watch), one read at a time. A
 * failed read is retried on the same schedule, the TTL being that of the last good answer.
 * A set that differs from the last good one goes to the sink. A failed read keeps the last good set; so does
 * an empty answer once the upstream has had endpoints (a resolver answering nothing for a moment must not
 * take every endpoint away), while before that it is simply no endpoint yet. A failure is reported (warn
 * line, sink.failed) when it starts and whenever its reason changes, not on every retry; the recovery is
 * logged once.
 */
export class UpstreamDiscovery {
  private lastGood: readonly EndpointConfig[]
  private hadEndpoints: boolean
  /** The reason of the failure under way, null while reads succeed. */
  private failing: string | null = null
  private warnedEmpty = false
  /** The shortest TTL of the last successful read, ms: a failed read is retried when the records it had expire. */
  private ttlMs: number | null = null
  private timer: unknown = null
  private reading: Promise<void> | null = null
  /** A refresh was asked for while a read was under way: read once more when it ends. */
  private again = false
  private stopped = false
  private readonly what: string

  /** `initial`: the endpoints the upstream runs with now (none at start; the current ones after a reload). */
  constructor(
    readonly upstream: string,
    readonly config: DiscoveryConfig,
    private readonly source: EndpointSource,
    initial: readonly EndpointConfig[],
    private readonly deps: UpstreamDiscoveryDeps,
  ) {
    this.lastGood = sortEndpoints(initial)
    this.hadEndpoints = initial.length > 0
    this.what = describeSource(config)
  }

  /** Starts watching and reads at once; resolves when that first read has been handled (applied or not). */
  start(): Promise<void> {
    this.source.watch?.(() => void this.refresh())
    return this.refresh()
  }

  /** Reads the source now (after the read under way, if any). */
  refresh(): Promise<void> {
    if (this.stopped) return Promise.resolve()
    if (this.reading !== null) {
      this.again = true
      return this.reading
    }
    const reading = this.read().finally(() => {
      this.reading = null
      if (this.again && !this.stopped) {
        this.again = false
        void this.refresh()
      }
    })
    this.reading = reading
    return reading
  }

  /** Stops timers, watchers and the resolver; never waits (a read under way settles on its own and is ignored). */
  stop(): void {
    this.stopped = true
    if (this.timer !== null) this.deps.timers.clear(this.timer)
    this.timer = null
    this.source.close()
  }

  /** The set the upstream runs with as far as this loop knows (sorted by id). */
  get endpoints(): readonly EndpointConfig[] {
    return this.lastGood
  }

  private async read(): Promise<void> {
    if (this.timer !== null) this.deps.timers.clear(this.timer)
    this.timer = null
    try {
      const found = await this.source.read()
      if (this.stopped) return
      await this.accept(sortEndpoints(found.endpoints), found.ttlMs)
    } catch (err) {
      if (this.stopped) return
      this.fail(err instanceof Error ? err.message : String(err))
    }
    if (this.stopped) return
    this.timer = this.deps.timers.set(() => {
      this.timer = null
      void this.refresh()
    }, refreshDelayMs(this.config, this.ttlMs))
  }

  private async accept(endpoints: EndpointConfig[], ttlMs: number | null): Promise<void> {
    if (endpoints.length === 0 && this.hadEndpoints) return this.fail(`${this.what} found no endpoint`)
    this.ttlMs = ttlMs
    if (endpoints.length === 0 && !this.warnedEmpty) {
      this.warnedEmpty = true
      this.deps.logger.warn({ upstream: this.upstream, source: this.what }, 'discovery found no endpoint yet: the upstream answers 503 until it does')
    }
    if (!sameEndpoints(endpoints, this.lastGood)) {
      const applied = await this.deps.sink.apply(this.upstream, endpoints, this.config)
      if (!applied || this.stopped) return
      this.lastGood = endpoints
      if (endpoints.length > 0) this.hadEndpoints = true
    }
    if (this.failing !== null) this.deps.logger.info({ upstream: this.upstream, source: this.what, endpoints: endpoints.length }, 'discovery recovered')
    this.failing = null
  }

  private fail(error: string): void {
    const fields = { upstream: this.upstream, source: this.what, error, kept: this.lastGood.length }
    if (error === this.failing) {
      this.deps.logger.debug(fields, 'discovery still failing: keeping the last good set')
      return
    }
    this.failing = error
    this.deps.logger.warn(fields, 'discovery failed: keeping the last good set')
    this.deps.sink.failed(this.upstream, this.config, error, this.lastGood.length)
  }
}
