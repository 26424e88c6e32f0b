import type { Cluster } from './cluster.js'
import type { Logger } from '../util/logger.js'
import type { AdaptiveEvent } from '../model/adaptive-manager.js'

/**
 * Start and stop of the learned models: at start, load each upstream's saved model when it matches the
 * configured endpoints (a missing, corrupt or mismatched file is logged and ignored: the model starts
 * fresh, never a fatal error) and log the models' events; at shutdown, save each model once more.
 */
export async function warmStartModels(clusters: readonly Cluster[], logger: Logger): Promise<void> {
  for (const cluster of clusters) {
    const model = cluster.model
    if (model === null) continue
    model.onEvent((event) => logModelEvent(logger, cluster.name, event))
    const loading = model.warmStart()
    if (loading === null) continue
    const outcome = await loading
    const fields = { upstream: cluster.name, stateDir: model.stateDir() }
    if (outcome.ok) logger.info({ ...fields, version: outcome.version.id, savedAt: new Date(outcome.savedAt).toISOString() }, 'model loaded: warm start')
    else if (outcome.reason === 'missing') logger.info(fields, 'no saved model: starting fresh')
    else logger.warn({ ...fields, reason: outcome.reason, detail: outcome.detail }, 'saved model ignored: starting fresh')
  }
}

export async function saveModels(clusters: readonly Cluster[], logger: Logger): Promise<void> {
  for (const cluster of clusters) {
    const saving = cluster.model?.persist() ?? null
    if (saving === null) continue
    const result = await saving
    if (result.ok) logger.info({ upstream: cluster.name }, 'model saved')
    else logger.error({ upstream: cluster.name, detail: result.detail }, 'model save failed')
  }
}

function logModelEvent(logger: Logger, upstream: string, event: AdaptiveEvent): void {
  switch (event.type) {
    case 'drift':
      logger.warn({ upstream, endpoints: event.endpointIds, version: event.version.id }, 'model drift: refitted')
      break
    case 'saved':
      logger.debug({ upstream, dir: event.dir }, 'model saved')
      break
    case 'save-failed':
      logger.error({ upstream, dir: event.dir, detail: event.detail }, 'model save failed')
      break
  }
}
