import type { Server as NetServer } from 'node:net'
import { isDeepStrictEqual } from 'node:util'
import { startAdminServer, type AdminServer } from './admin/admin-server.js'
import { registerAuditMetrics } from './admin/audit-metrics.js'
import { buildRegistry } from './admin/prometheus.js'
import { AnomalyMonitor } from './anomaly/anomaly-monitor.js'
import { DriftEvents } from './anomaly/drift-events.js'
import { TrafficRecorder } from './anomaly/traffic-recorder.js'
import { openAuditTrail } from './audit-setup.js'
import type { AuditTrail } from './audit/audit-trail.js'
import { Cluster, type ClusterDeps } from './cluster/cluster.js'
import { saveModels, warmStartModels } from './cluster/model-lifecycle.js'
import { diffConfigs, isEmptyDiff, type ConfigDiff, type ReloadOutcome } from './config/config-diff.js'
import { ConfigError } from './config/config-error.js'
import { loadConfigFile } from './config/load.js'
import type { BatonConfig, DiscoveryConfig, EndpointConfig, ListenerConfig } from './config/types.js'
import { DecisionLogFile } from './debug/decision-log-file.js'
import { DecisionRecorder } from './debug/decision-recorder.js'
import { startDemoBackends, type DemoBackends } from './demo/demo-backends.js'
import { DiscoveryManager, withRunningEndpoints } from './discovery/discovery-manager.js'
import { describeSource } from './discovery/source.js'
import type { DiscoverySink } from './discovery/upstream-discovery.js'
import { routeTarget } from './forward/route-target.js'
import type { HandedOverServers, InheritedSockets } from './hot-restart.js'
import { buildRateLimiters, type RateLimiter } from './overload/rate-limiter.js'
import { Router } from './router/router.js'
import { AccessLog } from './server/access-log.js'
import { DrainState } from './server/drain-state.js'
import { combineListeners } from './server/exchange-listeners.js'
import { ProxyServer } from './server/proxy-server.js'
import { RequestHandler, type RequestHandlerDeps } from './server/request-handler.js'
import type { Logger } from './util/logger.js'

/** Policy decay and refits, ms. */
const TICK_INTERVAL_MS = 1_000
/** Length of one statistics interval (histogram rollover, rps), ms. */
const STATS_INTERVAL_MS = 10_000

/**
 * A running Baton and the one path every change takes. A reload (SIGHUP, `baton reload`, POST /api/reload)
 * validates the whole new config first (a refused one changes nothing), then swaps a new snapshot in:
 * upstreams whose config is unchanged keep their Cluster as it is; a changed one gets a new Cluster that takes
 * over, from the one it replaces, the endpoints that stayed (pools, counters, health, ejections, learned
 * model: cluster/cluster-succession.ts); new routes and listener rules apply to new requests while requests
 * in flight finish on what they started with; replaced and removed clusters retire (their checks stop, pools
 * of removed endpoints close once idle). A listener that moved opens its new socket before the old one drains.
 * Discovery (src/discovery/) takes the same path: a source that finds another set applies the current config
 * with that upstream's endpoints replaced (applyEndpoints).
 */
export class BatonRuntime {
  clusters: Cluster[] = []
  readonly servers = new Map<string, ProxyServer>()
  readonly drain = new DrainState()
  private admin: AdminServer | null = null
  private demo: DemoBackends | null = null
  private decisionLog: DecisionLogFile | null = null
  private discovery: DiscoveryManager | null = null
  private timers: NodeJS.Timeout[] = []
  /** Rate limits of the current snapshot by route name; a reload builds the next from these (buckets carry over). */
  rateLimiters: ReadonlyMap<string, RateLimiter> = new Map()
  /** Retiring clusters and draining listeners: shutdown waits for them. */
  private readonly retiring = new Set<Promise<void>>()
  /** Reloads run one at a time, in order. */
  private reloading: Promise<unknown> = Promise.resolve()
  /** Per-route and per-upstream answers by status class, and the windows the anomaly detector samples. */
  readonly traffic: TrafficRecorder
  /** null when `anomaly.enabled` is false; its settings are the start config's. */
  readonly anomalies: AnomalyMonitor | null
  private readonly drift: DriftEvents

  constructor(
    public config: BatonConfig,
    private readonly deps: ClusterDeps,
    readonly logger: Logger,
    /** The audit trail every event reaches (index.ts subscribes it to deps.events); opened by start(). */
    readonly audit: AuditTrail,
  ) {
    this.traffic = new TrafficRecorder(config.anomaly.windowSamples)
    this.anomalies = config.anomaly.enabled ? new AnomalyMonitor(config.anomaly, this.traffic, deps.events, deps.wallClock) : null
    this.drift = new DriftEvents(deps.events, deps.wallClock)
  }

  get listenerUrls(): string[] {
    return [...this.servers.values()].map((s) => s.url)
  }

  get adminUrl(): string | null {
    return this.admin?.url ?? null
  }

  get demoUrls(): readonly string[] {
    return this.demo?.urls ?? []
  }

  /**
   * `inherited`: listening sockets handed over by the process this one replaces (hot-restart.ts). Its
   * successor leaves the audit trail closed (records wait in memory) until the predecessor has flushed and
   * handed the file over: then openAudit().
   */
  async start(inherited: InheritedSockets | null = null): Promise<void> {
    const config = this.config
    const how = inherited === null ? 'started' : 'zero-downtime restart: took over the sockets of the process it replaces'
    this.audit.record({ actor: 'baton', action: 'start', target: '', before: null, after: null, reason: how, data: { pid: process.pid, config: config.source } })
    if (inherited === null) await this.openAudit()
    this.demo = config.demo === null ? null : await startDemoBackends(config.demo, this.logger)
    this.clusters = config.upstreams.map((u) => new Cluster(u, this.deps))
    this.drift.watch(this.clusters)
    await warmStartModels(this.clusters, this.logger)
    for (const c of this.clusters) c.start()
    const handlerDeps = this.handlerDeps(config)
    for (const l of config.listeners) {
      const server = new ProxyServer(l, new RequestHandler(l, handlerDeps), this.logger)
      await server.listen(inherited?.listeners.get(l.name) ?? null)
      this.servers.set(l.name, server)
    }
    if (config.admin !== null) {
      const registry = buildRegistry(() => this.clusters, this.deps.events, { traffic: this.traffic, monitor: this.anomalies }, () => [
        ...this.rateLimiters.values(),
      ])
      registerAuditMetrics(registry, this.audit)
      this.admin = await startAdminServer(
        config.admin,
        {
          upstreams: () => this.clusters,
          events: this.deps.events,
          anomalies: this.anomalies,
          draining: () => this.drain.draining,
          reload: (actor) => this.reloadFromFile(actor),
          config: () => this.config,
          audit: this.audit,
          readAudit: (query) => this.audit.read(query),
          rateLimits: () => [...this.rateLimiters.values()],
        },
        {
          clock: this.deps.clock,
          logger: this.logger,
          registry,
        },
        inherited?.admin ?? null,
      )
    }
    this.timers = this.startTimers()
    // Each discovering upstream's first answer is applied before start returns (bounded by the resolver's timeout).
    this.discovery = new DiscoveryManager({ sink: this.discoverySink(), logger: this.logger })
    await this.discovery.update(config.upstreams)
    this.logger.info({ listeners: this.listenerUrls, admin: this.adminUrl, config: config.source }, 'baton started')
  }

  /** The listening servers, for a successor process to take over their sockets. */
  sockets(): HandedOverServers {
    const listeners = new Map([...this.servers].map(([name, s]) => [name, s.server as unknown as NetServer]))
    return { listeners, admin: this.admin?.server ?? null }
  }

  /** Starts writing the audit trail (at start, or in a successor once its predecessor handed the file over). */
  openAudit(): Promise<void> {
    return openAuditTrail(this.audit, this.config.audit, this.logger)
  }

  /** Saves the learned models now (before a successor warm-starts from them). */
  persist(): Promise<void> {
    return saveModels(this.clusters, this.logger)
  }

  /**
   * Reads the config file this instance was started with again and applies it. `actor`: who asked through
   * the admin API (its reload or reload-failed event carries it as data.actor: the admin API audits it).
   */
  reloadFromFile(actor: string | null = null): Promise<ReloadOutcome> {
    return this.serialised(async () => {
      try {
        return await this.apply(await loadConfigFile(this.config.source), null, actor)
      } catch (err) {
        return this.refused(err, actor)
      }
    })
  }

  /** Applies an already validated config (tests, embedding). */
  reload(next: BatonConfig): Promise<ReloadOutcome> {
    return this.serialised(async () => {
      try {
        return await this.apply(next)
      } catch (err) {
        return this.refused(err)
      }
    })
  }

  /**
   * Discovery found another endpoint set for `upstream`: applies the current config with its endpoints
   * replaced, serialised with reloads, so endpoints that stay keep their pool, health and model. Refused when
   * the upstream is gone or, given `source`, no longer discovers from it (a reload replaced it meanwhile).
   */
  applyEndpoints(upstream: string, endpoints: readonly EndpointConfig[], source: DiscoveryConfig | null = null): Promise<ReloadOutcome> {
    return this.serialised(async () => {
      const current = this.config.upstreams.find((u) => u.name === upstream)
      if (current === undefined || (source !== null && !isDeepStrictEqual(current.discovery, source))) {
        return { ok: false, errors: [`upstream "${upstream}" no longer discovers from this source`] }
      }
      const next = { ...this.config, upstreams: this.config.upstreams.map((u) => (u === current ? { ...u, endpoints } : u)) }
      try {
        return await this.apply(next, upstream)
      } catch (err) {
        return this.refused(err)
      }
    })
  }

  /**
   * SIGTERM: for drainDelay keep serving while /healthz says 503 (every response says Connection: close);
   * then stop accepting, close idle connections, let in-flight requests finish within drainTimeout; save the
   * models and release everything.
   */
  async shutdown(): Promise<void> {
    const { drainDelayMs, drainTimeoutMs } = this.config.shutdown
    this.drain.draining = true
    this.discovery?.stop()
    this.logger.info({ drainDelayMs, drainTimeoutMs }, 'draining')
    if (drainDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, drainDelayMs))
    await this.reloading.catch(() => undefined)
    for (const t of this.timers) clearInterval(t)
    // Tunnels (WebSockets) get tunnelGrace to finish, then are cut; requests get drainTimeout.
    const tunnels = [...this.servers.values()].map((s) => s.closeTunnels(this.config.shutdown.tunnelGraceMs))
    await Promise.all([...this.servers.values()].map((s) => s.drain(drainTimeoutMs)))
    await Promise.all(tunnels)
    await Promise.all([...this.retiring])
    await Promise.all(this.clusters.map((c) => c.close(drainTimeoutMs)))
    await saveModels(this.clusters, this.logger)
    if (this.decisionLog !== null) await this.decisionLog.close()
    if (this.admin !== null) await this.admin.close()
    if (this.demo !== null) await this.demo.close()
    this.audit.record({ actor: 'baton', action: 'stop', target: '', before: null, after: null, reason: 'drained and stopped', data: { pid: process.pid } })
    await this.audit.close() // last: everything the drain did is in the trail
    this.logger.info('stopped')
  }

  private serialised(run: () => Promise<ReloadOutcome>): Promise<ReloadOutcome> {
    const outcome = this.reloading.then(run, run)
    this.reloading = outcome
    return outcome
  }

  private refused(err: unknown, actor: string | null = null): ReloadOutcome {
    const errors = err instanceof ConfigError ? err.message.split('\n') : [err instanceof Error ? err.message : String(err)]
    this.logger.error({ errors }, 'reload refused: the running config stays')
    this.event('reload-failed', 'the new config was refused; the running config stays', { errors: errors.join('\n'), ...byActor(actor) })
    return { ok: false, errors }
  }

  /** `discovered`: the upstream whose discovered endpoints this applies; null for a reload. */
  private async apply(candidate: BatonConfig, discovered: string | null = null, actor: string | null = null): Promise<ReloadOutcome> {
    if (this.drain.draining) return { ok: false, errors: ['shutting down: reload refused'] }
    // A reloaded file lists no endpoint for a discovering upstream: it keeps what its source found.
    const next = discovered === null ? withRunningEndpoints(candidate, this.config) : candidate
    const diff = diffConfigs(this.config, next)
    if (isEmptyDiff(diff)) return { ok: true, diff }
    const clusters = await this.nextClusters(next)
    const previous = this.clusters
    this.clusters = clusters
    this.logger.level = next.logging.level
    await this.nextListeners(next)
    this.retireReplaced(previous, clusters, next.shutdown.drainTimeoutMs)
    if (!isDeepStrictEqual(this.config.admin, next.admin)) this.logger.warn('admin settings changed: they apply at the next restart')
    if (!isDeepStrictEqual(this.config.anomaly, next.anomaly)) this.logger.warn('anomaly settings changed: they apply at the next restart')
    if (!isDeepStrictEqual(this.config.audit, next.audit)) this.logger.warn('audit settings changed: they apply at the next restart')
    this.config = next
    void this.discovery?.update(next.upstreams) // not awaited: a new source's first apply queues behind this one
    if (discovered !== null) this.discoveryChanged(discovered, diff)
    else {
      this.logger.info({ diff }, 'config reloaded')
      this.event('reload', 'config reloaded', { ...summarise(diff), ...byActor(actor) })
    }
    return { ok: true, diff }
  }

  /** Unchanged upstreams keep their cluster; changed ones succeed theirs; new ones start (warm). */
  private async nextClusters(next: BatonConfig): Promise<Cluster[]> {
    const byName = new Map(this.clusters.map((c) => [c.name, c]))
    const fresh: Cluster[] = []
    const clusters = next.upstreams.map((u) => {
      const old = byName.get(u.name)
      if (old !== undefined && isDeepStrictEqual(old.config, u)) return old
      // One without endpoints (discovery before its first answer) has nothing to hand over: start afresh (warm).
      const previous = old !== undefined && old.endpoints.length > 0 ? old : null
      const cluster = new Cluster(u, this.deps, previous)
      if (previous === null) fresh.push(cluster)
      return cluster
    })
    this.drift.watch(clusters)
    await warmStartModels(fresh, this.logger)
    for (const c of clusters) if (!this.clusters.includes(c)) c.start()
    return clusters
  }

  /** Every listener gets a handler for the new snapshot; one that moved (or is new) binds before the old one drains. */
  private async nextListeners(next: BatonConfig): Promise<void> {
    const deps = this.handlerDeps(next)
    const names = new Set(next.listeners.map((l) => l.name))
    for (const l of next.listeners) {
      const current = this.servers.get(l.name)
      // A listener that stays takes new rules and certificates in place (renewed files need no restart).
      const samePlace = current !== undefined && sameSocket(current.config, l)
      if (current !== undefined && samePlace && current.updateTls(l)) {
        current.useHandler(new RequestHandler(l, deps), l)
        continue
      }
      const server = new ProxyServer(l, new RequestHandler(l, deps), this.logger)
      if (current !== undefined && samePlace) {
        // Plain HTTP to TLS or back on the same port: the old socket must go first (a moment of refusals).
        this.logger.warn({ listener: l.name }, 'listener switches between HTTP and TLS: rebinding its port')
        this.retire(current.drain(next.shutdown.drainTimeoutMs))
        await new Promise((resolve) => setImmediate(resolve))
        await server.listen()
      } else {
        await server.listen() // moved or new: the new socket first, then the old one drains
        if (current !== undefined) this.retire(current.drain(next.shutdown.drainTimeoutMs))
      }
      this.servers.set(l.name, server)
    }
    for (const [name, server] of this.servers) {
      if (names.has(name)) continue
      this.servers.delete(name)
      this.retire(server.drain(next.shutdown.drainTimeoutMs))
    }
  }

  private retireReplaced(previous: readonly Cluster[], next: readonly Cluster[], graceMs: number): void {
    for (const old of previous) {
      if (next.includes(old)) continue
      const successor = next.find((c) => c.name === old.name)
      this.retire(old.retire(successor?.inherited ?? new Set(), graceMs))
    }
  }

  private retire(work: Promise<void>): void {
    const tracked = work.catch((err: unknown) => this.logger.warn({ err }, 'retiring failed')).finally(() => this.retiring.delete(tracked))
    this.retiring.add(tracked)
  }

  /** What every handler of one snapshot shares: its router, via, access log and decision capture. */
  private handlerDeps(config: BatonConfig): RequestHandlerDeps {
    const byName = new Map(this.clusters.map((c) => [c.name, c]))
    const slots = this.traffic.useRoutes(config.routes)
    this.rateLimiters = buildRateLimiters(config.routes, this.rateLimiters)
    const router = new Router(config.routes, (r) =>
      routeTarget(r, byName.get(r.upstream)!, slots[config.routes.indexOf(r)], this.rateLimiters.get(r.name) ?? null),
    )
    const logPath = config.debug.decisionLog?.path ?? null
    if (this.decisionLog?.path !== logPath) {
      if (this.decisionLog !== null) this.retire(this.decisionLog.close())
      this.decisionLog = logPath === null ? null : new DecisionLogFile(logPath)
    }
    const decisions =
      config.debug.decisionHeaders || this.decisionLog !== null
        ? new DecisionRecorder(config.debug, this.deps.rng, this.decisionLog, this.deps.wallClock)
        : null
    const accessLog = config.logging.accessLog ? new AccessLog(this.logger) : null
    return { via: config.via, router, clock: this.deps.clock, exchangeListener: combineListeners([this.traffic, accessLog, decisions]), decisions, drain: this.drain }
  }

  private startTimers(): NodeJS.Timeout[] {
    const clock = this.deps.clock
    const tick = setInterval(() => {
      const now = clock.now()
      for (const c of this.clusters) c.tick(now)
    }, TICK_INTERVAL_MS)
    const rollover = setInterval(() => {
      const now = clock.now()
      for (const c of this.clusters) c.rollover(now)
    }, STATS_INTERVAL_MS)
    tick.unref()
    rollover.unref()
    const timers = [tick, rollover]
    const anomalies = this.anomalies
    if (anomalies !== null) {
      const sample = setInterval(() => anomalies.tick(), anomalies.config.intervalMs)
      sample.unref()
      timers.push(sample)
    }
    return timers
  }

  /** Where discovery loops send what they find: applied through applyEndpoints, failures recorded as events. */
  private discoverySink(): DiscoverySink {
    return {
      apply: async (upstream, endpoints, source) => (await this.applyEndpoints(upstream, endpoints, source)).ok,
      failed: (upstream, source, error, kept) =>
        this.event('discovery-failed', `${describeSource(source)}: keeping the last ${kept} endpoint(s)`, { source: describeSource(source), error, kept }, upstream),
    }
  }

  private discoveryChanged(upstream: string, diff: ConfigDiff): void {
    const u = this.config.upstreams.find((x) => x.name === upstream)!
    const source = u.discovery === null ? 'discovery' : describeSource(u.discovery)
    const data: Record<string, string | number> = { source, endpoints: u.endpoints.length }
    for (const change of ['added', 'removed', 'changed'] as const) {
      const ids = diff.endpoints[change].map((key) => key.slice(upstream.length + 1))
      if (ids.length > 0) data[change] = ids.join(', ')
    }
    this.logger.info({ upstream, source, endpoints: diff.endpoints }, 'discovered endpoints applied')
    this.event('discovery-changed', `${source}: ${u.endpoints.length} endpoint(s)`, data, upstream)
  }

  private event(kind: 'reload' | 'reload-failed' | 'discovery-changed' | 'discovery-failed', cause: string, data: Record<string, string | number>, upstream = ''): void {
    this.deps.events.push({ timeMs: this.deps.wallClock(), upstream, endpoint: '', kind, cause, data })
  }
}

/** A listener keeps its socket when it listens at the same place with the same head limit (fixed at bind). */
function sameSocket(a: ListenerConfig, b: ListenerConfig): boolean {
  return a.address === b.address && a.port === b.port && a.maxHeaderBytes === b.maxHeaderBytes
}

/** Event data naming who asked, when someone did through the admin API. */
function byActor(actor: string | null): Record<string, string> {
  return actor === null ? {} : { actor }
}

/** The diff as event data: "name, name" lists per kind of change. */
function summarise(diff: ConfigDiff): Record<string, string> {
  const out: Record<string, string> = {}
  for (const part of ['listeners', 'upstreams', 'endpoints', 'routes'] as const) {
    for (const change of ['added', 'removed', 'changed'] as const) {
      if (diff[part][change].length > 0) out[`${part}.${change}`] = diff[part][change].join(', ')
    }
  }
  if (diff.sections.length > 0) out.sections = diff.sections.join(', ')
  return out
}
