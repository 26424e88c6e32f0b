import { Counter, type Registry } from 'prom-client'
import type { AuditStats } from '../audit/audit-trail.js'

/** The audit trail's counters, read at scrape time (admin/prometheus.ts conventions: `_total` on counters only). */
export function registerAuditMetrics(registry: Registry, audit: { stats(): AuditStats }): void {
  const counter = (name: string, help: string, read: (s: AuditStats) => number): void => {
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        this.reset()
        this.inc(read(audit.stats()))
      },
    })
  }
  counter('baton_audit_records_written_total', 'Audit lines written and fsynced.', (s) => s.written)
  counter('baton_audit_write_errors_total', 'Failed audit writes, fsyncs or rotations (each retried at the next flush).', (s) => s.writeErrors)
  counter('baton_audit_records_dropped_total', 'Audit records never written: the buffer was full (an audit-lost line says so), or they came after a hand-over or close.', (s) => s.dropped)
}
