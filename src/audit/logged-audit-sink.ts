import type { Logger } from '../util/logger.js'
import type { AuditRecord, AuditSink } from './audit-entry.js'

/**
 * An audit sink that writes each record as one info log line ("audit", with the record under `audit`): the
 * trail until the tamper-evident file writer replaces it, and enough for a log collector meanwhile.
 */
export class LoggedAuditSink implements AuditSink {
  constructor(private readonly logger: Logger) {}

  record(entry: AuditRecord): void {
    this.logger.info({ audit: entry }, 'audit')
  }
}
