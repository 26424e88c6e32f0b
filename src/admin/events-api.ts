import type { IncomingMessage, ServerResponse } from 'node:http'
import type { EventLog } from '../health/event-log.js'
import { sendError } from '../util/error-response.js'
import { sendJson } from './send-json.js'

/** Most events one response carries when the caller gives no limit. */
const DEFAULT_LIMIT = 200

/**
 * GET /api/events[?since=MS][&limit=N]: health events (newest `limit` of those at or after `since`, wall-clock
 * ms since the epoch), oldest first. A poller passes the last timeMs it saw as `since`.
 */
export function serveEvents(events: EventLog, req: IncomingMessage, res: ServerResponse): void {
  const query = new URL(req.url ?? '/', 'http://admin').searchParams
  const since = numberParam(query.get('since'), -Infinity)
  const limit = numberParam(query.get('limit'), DEFAULT_LIMIT)
  if (Number.isNaN(since) || !(Number.isInteger(limit) && limit >= 1)) {
    sendError(res, 400, 'bad_query', 'since must be a number (ms since the epoch) and limit a positive integer')
    return
  }
  sendJson(res, 200, { events: events.list(since, limit), counts: events.counts() })
}

/** The parameter as a number, `fallback` when absent, NaN when not a number. */
function numberParam(value: string | null, fallback: number): number {
  if (value === null) return fallback
  return value.trim() === '' ? Number.NaN : Number(value)
}
