import type { EventLog, HealthEvent } from '../health/event-log.js'
import type { AdaptiveEvent } from '../model/adaptive-manager.js'
import type { ModelVersion } from '../model/model-versions.js'

/**
 * The learned model's version changes as events of the instance's EventLog, so they reach /api/events, the
 * log and the audit trail like every health transition: 'model-version' for a refit, a drift or a warm start,
 * 'model-rollback' for a rollback. Wired here, above model/ and health/, so neither imports the other.
 */
export function modelEventRecorder(events: EventLog, wallClock: () => number, upstream: string): (event: AdaptiveEvent) => void {
  return (event) => {
    const push = (kind: HealthEvent['kind'], cause: string, data: Record<string, string | number>): void =>
      events.push({ timeMs: wallClock(), upstream, endpoint: '', kind, cause, data })
    if (event.type === 'drift') {
      const data = { ...versionData(event.version, event.version.parentId), endpoints: event.endpointIds.join(', ') }
      push('model-version', `drift at ${event.endpointIds.join(', ')}: refitted as version ${event.version.id}`, data)
      return
    }
    // Drift versions are told by the 'drift' event that follows, with the endpoints that drifted.
    if (event.type !== 'version' || event.version.reason === 'drift') return
    const data = versionData(event.version, event.previous)
    if (event.actor !== null) data.actor = event.actor
    if (event.version.reason === 'rollback') push('model-rollback', `rolled back to the model of version ${event.version.restoredId}`, data)
    else push('model-version', event.version.reason === 'loaded' ? 'loaded the saved model (warm start)' : 'timed refit', data)
  }
}

/** What an event says about a version (JSON numbers only: no null in event data). */
function versionData(v: ModelVersion, previous: number | null): Record<string, string | number> {
  const data: Record<string, string | number> = { version: v.id, reason: v.reason, sampleCount: v.sampleCount }
  if (previous !== null) data.previous = previous
  if (v.restoredId !== null) data.restored = v.restoredId
  if (v.heldOutError !== null) data.heldOutError = v.heldOutError
  return data
}
