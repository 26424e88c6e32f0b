import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AuditQuery } from '../audit/audit-reader.js'
import { parseDuration } from '../config/units.js'
import { sendError } from '../util/error-response.js'
import { sendJson } from './send-json.js'
import type { AdminSource } from './types.js'

/** Lines one response carries when the caller gives no limit, and at most. */
const DEFAULT_LIMIT = 100
const MAX_LIMIT = 10_000

/** A bare integer is epoch ms; a duration (unit required: 10m, 2h) reaches back from now; else an ISO time. */
const EPOCH_MS = /^\d+$/
const DURATION = /^\s*\d+(?:\.\d+)?\s*[a-zA-Z]+\s*$/

/**
 * GET /api/audit[?since=10m|2026-12-01T10:00:00Z|1764583200000][&action=ejected][&limit=N]: audit lines,
 * oldest first, the newest `limit` of those at or after `since` with that action; `truncated` when more
 * matched. 400 BATON_BAD_QUERY naming the parameter when since or limit cannot be read.
 */
export async function serveAudit(source: AdminSource, req: IncomingMessage, res: ServerResponse, nowMs: number): Promise<void> {
  const query = new URL(req.url ?? '/', 'http://admin').searchParams
  const parsed = auditQuery(query, nowMs)
  if (typeof parsed === 'string') {
    sendError(res, 400, 'BATON_BAD_QUERY', parsed)
    return
  }
  sendJson(res, 200, await source.readAudit(parsed))
}

/** The query, or a message naming the parameter that is wrong. */
export function auditQuery(query: URLSearchParams, nowMs: number): AuditQuery | string {
  const sinceMs = sinceParam(query.get('since'), nowMs)
  if (Number.isNaN(sinceMs)) return 'since must be a duration back from now (10m, 2h), an ISO 8601 time, or ms since the epoch'
  const limitText = query.get('limit')
  const limit = limitText === null ? DEFAULT_LIMIT : Number(limitText)
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT || limitText?.trim() === '') return `limit must be an integer from 1 to ${MAX_LIMIT}`
  return { sinceMs, action: query.get('action'), limit }
}

function sinceParam(value: string | null, nowMs: number): number {
  if (value === null) return -Infinity
  if (EPOCH_MS.test(value)) return Number(value)
  if (DURATION.test(value)) {
    const back = parseDuration(value)
    return back.ok ? nowMs - back.value : Number.NaN
  }
  return value.trim() === '' ? Number.NaN : Date.parse(value)
}
