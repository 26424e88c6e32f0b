import type { Logger } from '../util/logger.js'
import type { HealthEvent, HealthEventKind } from './event-log.js'

/** Transitions that take capacity away are warnings; the rest (capacity coming back) are information. */
const WARNINGS: ReadonlySet<HealthEventKind> = new Set(['unhealthy', 'ejected', 'panic-on', 'predicted-failure', 'drain', 'anomaly-start', 'breaker-open'])

/** Writes one health event to the log, with its figures, at the level its kind deserves. */
export function logHealthEvent(logger: Logger, event: HealthEvent): void {
  const fields = { upstream: event.upstream, endpoint: event.endpoint, kind: event.kind, cause: event.cause, data: event.data }
  if (WARNINGS.has(event.kind)) logger.warn(fields, `health: ${event.kind}`)
  else logger.info(fields, `health: ${event.kind}`)
}
