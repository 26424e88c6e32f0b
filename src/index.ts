import { auditTrailFor } from './audit-setup.js'
import type { AuditTrail } from './audit/audit-trail.js'
import { BatonRuntime } from './baton-runtime.js'
import type { Cluster } from './cluster/cluster.js'
import type { ReloadOutcome } from './config/config-diff.js'
import type { HandedOverServers, InheritedSockets } from './hot-restart.js'
import type { BatonConfig } from './config/types.js'
import { EventLog } from './health/event-log.js'
import { auditHealthEvent } from './health/event-audit.js'
import { logHealthEvent } from './health/event-logging.js'
import { systemClock, type Clock } from './util/clock.js'
import { createLogger, type Logger } from './util/logger.js'
import { mathRng, type Rng } from './util/rng.js'
import { ScalingRegistry } from './scaling/scaling-registry.js'

export type { BatonConfig } from './config/types.js'
export { loadConfigFile, parseConfigText } from './config/load.js'

export interface StartOptions {
  logger?: Logger
  clock?: Clock
  rng?: Rng
  /** Wall clock, ms since the epoch: event and model timestamps. Default Date.now. */
  wallClock?: () => number
  /** Listening sockets handed over by the process this one replaces (zero-downtime restart). */
  inherited?: InheritedSockets
}

/** A running Baton: where it listens, how to change it and how to stop it. */
export interface BatonHandle {
  readonly listenerUrls: readonly string[]
  readonly adminUrl: string | null
  readonly demoUrls: readonly string[]
  /** The clusters of the current config snapshot (a reload may replace some). */
  readonly clusters: readonly Cluster[]
  /** Health transitions of every upstream, and reloads, newest last. */
  readonly events: EventLog
  /** The audit trail (every event, and the admin API's manual actions); NO_AUDIT_TRAIL when off. */
  readonly audit: AuditTrail
  readonly logger: Logger
  /** In a successor (zero-downtime restart): start writing the audit trail once the predecessor handed it over. */
  openAudit(): Promise<void>
  /** The listening servers, for a successor process to take over their sockets (zero-downtime restart). */
  sockets(): HandedOverServers
  /** Saves the learned models now. */
  persist(): Promise<void>
  /** Applies a new config (already validated), or reads the config file again when none is given. */
  reload(config?: BatonConfig): Promise<ReloadOutcome>
  /** Graceful: drainDelay, stop accepting, let in-flight requests finish within the drain timeout, then release everything. */
  close(): Promise<void>
}

/** Starts the demo backends (if configured), the proxy listeners and the admin server. */
export async function startBaton(config: BatonConfig, options: StartOptions = {}): Promise<BatonHandle> {
  const logger = options.logger ?? createLogger(config.logging.level)
  const clock = options.clock ?? systemClock
  const wallClock = options.wallClock ?? Date.now
  const audit = auditTrailFor(config.audit, wallClock, logger)
  const events = new EventLog(undefined, (event) => {
    logHealthEvent(logger, event)
    auditHealthEvent(audit, event)
  })
  const scaling = new ScalingRegistry({ wallClock, events, logger })
  const runtime = new BatonRuntime(config, { clock, rng: options.rng ?? mathRng, wallClock, events, scaling }, logger, audit)
  await runtime.start(options.inherited ?? null)
  let closing: Promise<void> | null = null
  return {
    get listenerUrls() {
      return runtime.listenerUrls
    },
    get adminUrl() {
      return runtime.adminUrl
    },
    demoUrls: runtime.demoUrls,
    get clusters() {
      return runtime.clusters
    },
    events,
    audit,
    logger,
    openAudit: () => runtime.openAudit(),
    sockets: () => runtime.sockets(),
    persist: () => runtime.persist(),
    reload: (next) => (next === undefined ? runtime.reloadFromFile() : runtime.reload(next)),
    // A second SIGTERM, or a test teardown after an explicit close, waits for the same shutdown.
    close: () => (closing ??= runtime.shutdown().finally(() => scaling.close())),
  }
}
