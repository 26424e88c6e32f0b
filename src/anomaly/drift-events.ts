import type { EventLog } from '../health/event-log.js'
import type { AdaptiveEvent, AdaptiveModelManager } from '../model/adaptive-manager.js'

/** What DriftEvents needs of a cluster: its name and its model manager (null unless the policy is adaptive). */
export interface ModelOwner {
  readonly name: string
  readonly model: AdaptiveModelManager | null
}

/**
 * Makes each drift the adaptive model detects (Page-Hinkley on its residuals, model/page-hinkley.ts, acted on
 * in model/adaptive-manager.ts) a `drift` health event per endpoint: so an audit line, a counter
 * (baton_model_drift_total reads the event counts) and a mark in /api/events. Subscribes from above, through
 * the manager's own listener seam: the model floor imports nothing new.
 */
export class DriftEvents {
  private readonly watched = new WeakSet<AdaptiveModelManager>()

  constructor(
    private readonly events: EventLog,
    private readonly wallClock: () => number,
  ) {}

  /** Subscribes to every model not yet watched (call with each new set of clusters, before they tick). */
  watch(owners: readonly ModelOwner[]): void {
    for (const owner of owners) {
      const model = owner.model
      if (model === null || this.watched.has(model)) continue
      this.watched.add(model)
      const upstream = owner.name
      model.onEvent((event) => this.onModelEvent(upstream, event))
    }
  }

  private onModelEvent(upstream: string, event: AdaptiveEvent): void {
    if (event.type !== 'drift') return
    const timeMs = this.wallClock()
    for (const endpoint of event.endpointIds) {
      this.events.push({
        timeMs,
        upstream,
        endpoint,
        kind: 'drift',
        cause: `the model's latency residuals at ${endpoint} changed (Page-Hinkley): refitted, version ${event.version.id}`,
        data: { signal: 'residual', scope: 'endpoint', name: endpoint, version: event.version.id, ...(event.version.heldOutError === null ? {} : { heldOutError: event.version.heldOutError }) },
      })
    }
  }
}
