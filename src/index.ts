import { startAdminServer, type AdminServer } from './admin/admin-server.js'
import { Cluster } from './cluster/cluster.js'
import type { BatonConfig } from './config/types.js'
import { startDemoBackends, type DemoBackends } from './demo/demo-backends.js'
import { DecisionLogFile } from './debug/decision-log-file.js'
import { DecisionRecorder } from './debug/decision-recorder.js'
import { EventLog } from './health/event-log.js'
import { logHealthEvent } from './health/event-logging.js'
import { buildRegistry } from './admin/prometheus.js'
import { saveModels, warmStartModels } from './cluster/model-lifecycle.js'
import { routeTarget } from './forward/route-target.js'
import { Router } from './router/router.js'
import { AccessLog } from './server/access-log.js'
import { combineListeners } from './server/exchange-listeners.js'
import { ProxyServer } from './server/proxy-server.js'
import { RequestHandler } from './server/request-handler.js'
import { systemClock, type Clock } from './util/clock.js'
import { createLogger, type Logger } from './util/logger.js'
import { mathRng, type Rng } from './util/rng.js'

export type { BatonConfig } from './config/types.js'
export { loadConfigFile, parseConfigText } from './config/load.js'

/** Policy decay and refits, ms. */
const TICK_INTERVAL_MS = 1_000
/** Length of one statistics interval (histogram rollover, rps), ms. */
const STATS_INTERVAL_MS = 10_000

export interface StartOptions {
  logger?: Logger
  clock?: Clock
  rng?: Rng
  /** Wall clock, ms since the epoch: event and model timestamps. Default Date.now. */
  wallClock?: () => number
}

/** A running Baton: where it listens, and how to stop it. */
export interface BatonHandle {
  readonly listenerUrls: readonly string[]
  readonly adminUrl: string | null
  readonly demoUrls: readonly string[]
  readonly clusters: readonly Cluster[]
  /** Health transitions of every upstream, newest last. */
  readonly events: EventLog
  readonly logger: Logger
  /** Graceful: stop accepting, let in-flight requests finish within the drain timeout, then release everything. */
  close(): Promise<void>
}

/** Starts the demo backends (if configured), the proxy listeners and the admin server. */
export async function startBaton(config: BatonConfig, options: StartOptions = {}): Promise<BatonHandle> {
  const logger = options.logger ?? createLogger(config.logging.level)
  const clock = options.clock ?? systemClock
  const events = new EventLog(undefined, (event) => logHealthEvent(logger, event))
  const deps = { clock, rng: options.rng ?? mathRng, wallClock: options.wallClock ?? Date.now, events }
  const demo = config.demo === null ? null : await startDemoBackends(config.demo, logger)
  const clusters = config.upstreams.map((u) => new Cluster(u, deps))
  await warmStartModels(clusters, logger)
  for (const c of clusters) c.start()
  const byName = new Map(clusters.map((c) => [c.name, c]))
  const router = new Router(config.routes, (r) => routeTarget(r, byName.get(r.upstream)!))
  const decisionLog = config.debug.decisionLog === null ? null : new DecisionLogFile(config.debug.decisionLog.path)
  const decisions =
    config.debug.decisionHeaders || decisionLog !== null ? new DecisionRecorder(config.debug, deps.rng, decisionLog, deps.wallClock) : null
  const accessLog = config.logging.accessLog ? new AccessLog(logger) : null
  const exchangeListener = combineListeners([accessLog, decisions])
  const servers = config.listeners.map((l) => new ProxyServer(l, new RequestHandler(l, config.via, router, clock, exchangeListener, decisions), logger))
  const listenerUrls = await Promise.all(servers.map((s) => s.listen()))
  const admin =
    config.admin === null
      ? null
      : await startAdminServer(
          config.admin,
          { upstreams: () => clusters, events },
          { clock, logger, registry: buildRegistry(() => clusters, events) },
        )
  const timers = startTimers(clusters, clock)
  logger.info({ listeners: listenerUrls, admin: admin?.url ?? null, config: config.source }, 'baton started')
  const running: Running = { servers, clusters, admin, demo, decisionLog, timers, logger, drainMs: config.shutdown.drainTimeoutMs }
  let closing: Promise<void> | null = null
  return {
    listenerUrls,
    adminUrl: admin?.url ?? null,
    demoUrls: demo?.urls ?? [],
    clusters,
    events,
    logger,
    // A second SIGTERM, or a test teardown after an explicit close, waits for the same shutdown.
    close: () => (closing ??= shutdown(running)),
  }
}

function startTimers(clusters: readonly Cluster[], clock: Clock): NodeJS.Timeout[] {
  const tick = setInterval(() => {
    const now = clock.now()
    for (const c of clusters) c.tick(now)
  }, TICK_INTERVAL_MS)
  const rollover = setInterval(() => {
    const now = clock.now()
    for (const c of clusters) c.rollover(now)
  }, STATS_INTERVAL_MS)
  tick.unref()
  rollover.unref()
  return [tick, rollover]
}

interface Running {
  servers: readonly ProxyServer[]
  clusters: readonly Cluster[]
  admin: AdminServer | null
  demo: DemoBackends | null
  decisionLog: DecisionLogFile | null
  timers: readonly NodeJS.Timeout[]
  logger: Logger
  drainMs: number
}

async function shutdown(r: Running): Promise<void> {
  r.logger.info({ drainTimeoutMs: r.drainMs }, 'draining')
  for (const t of r.timers) clearInterval(t)
  await Promise.all(r.servers.map((s) => s.drain(r.drainMs)))
  await Promise.all(r.clusters.map((c) => c.close(r.drainMs)))
  await saveModels(r.clusters, r.logger)
  if (r.decisionLog !== null) await r.decisionLog.close()
  if (r.admin !== null) await r.admin.close()
  if (r.demo !== null) await r.demo.close()
  r.logger.info('stopped')
}
