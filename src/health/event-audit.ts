import type { AuditSink } from '../audit/audit-entry.js'
import type { HealthEvent, HealthEventKind } from './event-log.js'

/** The state each transition leaves and enters; kinds not listed have none (their data says what changed). */
const TRANSITIONS: Readonly<Partial<Record<HealthEventKind, readonly [before: string, after: string]>>> = {
  healthy: ['unhealthy', 'healthy'],
  unhealthy: ['healthy', 'unhealthy'],
  ejected: ['serving', 'ejected'],
  returned: ['ejected', 'serving'],
  drain: ['serving', 'drained'],
  undrain: ['drained', 'serving'],
  'panic-on': ['normal', 'panic'],
  'panic-off': ['panic', 'normal'],
}

/**
 * Every health event (and reload, discovery, model version: all of the EventLog) as an audit line by
 * 'baton', the action being its kind. An event whose data names an `actor` was caused by an admin call,
 * which records its own line with that actor: it is not recorded twice. New event kinds are audited as
 * they are, with their data.
 */
export function auditHealthEvent(sink: AuditSink, event: HealthEvent): void {
  if (event.data.actor !== undefined) return
  const transition = TRANSITIONS[event.kind]
  const versions = event.kind === 'model-version' || event.kind === 'model-rollback'
  sink.record({
    actor: 'baton',
    action: event.kind,
    target: event.endpoint === '' ? event.upstream : `${event.upstream}/${event.endpoint}`,
    before: transition?.[0] ?? (versions ? (event.data.previous ?? null) : null),
    after: transition?.[1] ?? (versions ? event.data.version : null),
    reason: event.cause,
    data: event.data,
  })
}
