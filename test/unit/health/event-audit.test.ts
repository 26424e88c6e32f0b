import t from 'tap'
import type { AuditRecord } from '../../../src/audit/audit-entry.js'
import { auditHealthEvent } from '../../../src/health/event-audit.js'
import type { HealthEvent } from '../../../src/health/event-log.js'
import { modelEventRecorder } from '../../../src/cluster/model-events.js'
import { EventLog } from '../../../src/health/event-log.js'
import type { ModelVersion } from '../../../src/model/model-versions.js'

function event(kind: HealthEvent['kind'], endpoint: string, data: Record<string, string | number> = {}): HealthEvent {
  return { timeMs: 1, upstream: 'api', endpoint, kind, cause: `because ${kind}`, data }
}

function audited(e: HealthEvent): AuditRecord[] {
  const out: AuditRecord[] = []
  auditHealthEvent({ record: (r) => out.push(r) }, e)
  return out
}

const cases: { event: HealthEvent; expected: Partial<AuditRecord> | null }[] = [
  { event: event('ejected', '10.0.0.1:80', { consecutive: 5 }), expected: { actor: 'baton', action: 'ejected', target: 'api/10.0.0.1:80', before: 'serving', after: 'ejected', reason: 'because ejected', data: { consecutive: 5 } } },
  { event: event('returned', '10.0.0.1:80'), expected: { before: 'ejected', after: 'serving' } },
  { event: event('panic-on', ''), expected: { target: 'api', before: 'normal', after: 'panic' } },
  { event: event('drain', 'e'), expected: { before: 'serving', after: 'drained' } },
  { event: { ...event('reload', ''), upstream: '' }, expected: { target: '', before: null, after: null } },
  { event: event('model-rollback', '', { version: 7, previous: 6, restored: 5 }), expected: { action: 'model-rollback', before: 6, after: 7 } },
  { event: event('model-version', '', { version: 1 }), expected: { before: null, after: 1 } },
  { event: event('ejected', 'e', { actor: 'ops' }), expected: null },
]

for (const c of cases) {
  t.test(`${c.event.kind}${c.event.data.actor === undefined ? '' : ' by an admin'}`, async (t) => {
    const records = audited(c.event)
    if (c.expected === null) t.same(records, [], 'an admin action is recorded by the admin API itself, not twice')
    else t.match(records, [c.expected])
  })
}

t.test('model versions become events of the EventLog (and so audit lines)', async (t) => {
  const events = new EventLog()
  const record = modelEventRecorder(events, () => 42, 'api')
  const version = (id: number, reason: ModelVersion['reason'], parentId: number | null, restoredId: number | null = null): ModelVersion => ({
    id,
    timeMs: 0,
    sampleCount: 10,
    heldOutError: null,
    reason,
    parentId,
    restoredId,
    coefficients: {},
  })
  record({ type: 'version', version: version(1, 'loaded', null), previous: null, actor: null })
  record({ type: 'version', version: version(2, 'drift', 1), previous: 1, actor: null })
  record({ type: 'drift', endpointIds: ['a', 'b'], version: version(2, 'drift', 1) })
  record({ type: 'version', version: version(3, 'rollback', null, 1), previous: 2, actor: 'ops' })
  record({ type: 'saved', dir: '/x' })
  t.match(events.list(), [
    { kind: 'model-version', upstream: 'api', endpoint: '', timeMs: 42, cause: /warm start/, data: { version: 1, reason: 'loaded' } },
    { kind: 'model-version', cause: 'drift at a, b: refitted as version 2', data: { version: 2, previous: 1, endpoints: 'a, b' } },
    { kind: 'model-rollback', data: { version: 3, previous: 2, restored: 1, actor: 'ops' } },
  ])
  t.equal(events.list().length, 3, 'one event per version; saves are not events')
})
