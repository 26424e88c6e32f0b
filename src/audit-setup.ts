import { AuditLog } from './audit/audit-log.js'
import { NO_AUDIT_TRAIL, type AuditTrail } from './audit/audit-trail.js'
import type { AuditConfig } from './config/types.js'
import type { Logger } from './util/logger.js'

/** The instance's audit trail (not yet open: records wait in memory until open()), or none when it is off. */
export function auditTrailFor(config: AuditConfig, wallClock: () => number, logger: Logger): AuditTrail {
  if (!config.enabled || config.file === null) return NO_AUDIT_TRAIL
  return new AuditLog({
    file: config.file,
    flushIntervalMs: config.flushIntervalMs,
    maxSizeBytes: config.maxSizeBytes,
    keep: config.keep,
    wallClock,
    onProblem: (level, message, detail) => logger[level](detail, message),
  })
}

/**
 * Opens the trail. A file the config names that cannot be opened stops the start (the operator asked for a
 * trail there); a default location that cannot be opened is a warning, and the trail is off.
 */
export async function openAuditTrail(trail: AuditTrail, config: AuditConfig, logger: Logger): Promise<void> {
  if (trail.file === null) {
    if (config.enabled) logger.info('audit trail off: no audit.file and no place to write one (the config has no file behind it)')
    return
  }
  try {
    await trail.open()
    logger.info({ file: trail.file }, 'audit trail open')
  } catch (err) {
    const problem = err instanceof Error ? err.message : String(err)
    if (config.fileFrom === 'configured') throw new Error(`audit.file ${trail.file}: ${problem}`)
    logger.warn({ file: trail.file, err: problem }, 'audit trail off: its default file cannot be written; set audit.file, or audit.enabled: false')
    await trail.close()
  }
}
