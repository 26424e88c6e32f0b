import type { AuditSink } from './audit-entry.js'
import type { AuditPage, AuditQuery } from './audit-reader.js'

/** What the trail has done since start: the Prometheus counters (admin/audit-metrics.ts). */
export interface AuditStats {
  /** Lines written and fsynced. */
  readonly written: number
  /** Failed writes, fsyncs, rotations or reopenings (each retried at the next flush). */
  readonly writeErrors: number
  /** Records never written: the memory buffer was full, or they came after a hand-over or close. */
  readonly dropped: number
}

/** The audit trail as the runtime and the admin API use it: record, read back, and its lifecycle. */
export interface AuditTrail extends AuditSink {
  /** The live file; null when the trail is off. */
  readonly file: string | null
  /** Starts writing: continues the chain of the file (and its rotated predecessors). Throws when it cannot. */
  open(): Promise<void>
  /** Writes and fsyncs what is buffered now. Never throws (a failure is counted and logged). */
  flush(): Promise<void>
  /** For a successor process (zero-downtime restart): flush, close the file, write nothing more. */
  handOver(): Promise<void>
  /** Flush and close; records after it are dropped. Safe to call twice. */
  close(): Promise<void>
  /** Lines matching the query (buffered records are flushed first, so the answer includes them). */
  read(query: AuditQuery): Promise<AuditPage>
  stats(): AuditStats
}

/** The trail when `audit.enabled` is false or Baton has no place to write it: records go nowhere. */
export const NO_AUDIT_TRAIL: AuditTrail = {
  file: null,
  record: () => undefined,
  open: () => Promise.resolve(),
  flush: () => Promise.resolve(),
  handOver: () => Promise.resolve(),
  close: () => Promise.resolve(),
  read: () => Promise.resolve({ records: [], truncated: false }),
  stats: () => ({ written: 0, writeErrors: 0, dropped: 0 }),
}
