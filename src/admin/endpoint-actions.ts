import type { IncomingMessage, ServerResponse } from 'node:http'
import { z } from 'zod'
import { parseDuration } from '../config/units.js'
import type { Clock } from '../util/clock.js'
import { sendError } from '../util/error-response.js'
import { readJsonBody } from './json-body.js'
import type { RouteCall, RouteHandler } from './route-table.js'
import { sendJson } from './send-json.js'
import type { AdminSource, UpstreamView } from './types.js'
import { describeEndpoint } from './upstreams-api.js'

/** The operator's actions on one endpoint: POST /api/upstreams/{upstream}/endpoints/{endpoint}/{action}. */
export const ENDPOINT_ACTIONS = ['eject', 'uneject', 'drain', 'undrain', 'weight'] as const
export type EndpointAction = (typeof ENDPOINT_ACTIONS)[number]

/** A manual ejection without a duration lasts this long: long enough to look into a backend, short enough to be forgotten safely. */
export const DEFAULT_MANUAL_EJECTION = '5m'
/** Bounds of a manual ejection, ms: a longer removal is a drain (which holds until undrained). */
const MIN_MANUAL_EJECTION_MS = 1_000
const MAX_MANUAL_EJECTION_MS = 24 * 3_600_000
/** Longest `reason`, characters: it goes into events, logs and the audit trail. */
const MAX_REASON_CHARS = 500

const reason = z.string().max(MAX_REASON_CHARS).optional()
const BODIES = {
  eject: z.strictObject({ duration: z.union([z.string(), z.number()]).optional(), force: z.boolean().optional(), reason }),
  uneject: z.strictObject({ reason }),
  drain: z.strictObject({ reason }),
  undrain: z.strictObject({ reason }),
  weight: z.strictObject({ weight: z.number().int().min(1).max(10_000), reason }),
} satisfies Record<EndpointAction, z.ZodType>

/** What one write did: whether anything changed, and for an ejection whether the cap was overridden. */
interface Applied {
  readonly changed: boolean
  readonly limitOverridden?: boolean
}

/**
 * The handler of one endpoint action. Answers 200 `{upstream, endpoint, changed}` with the endpoint exactly
 * as GET /api/upstreams shows it (after the change); 404 BATON_UNKNOWN_UPSTREAM / BATON_UNKNOWN_ENDPOINT;
 * 400 BATON_BAD_BODY with the `field` at fault (null when the body is not a JSON object); 409
 * BATON_EJECTION_LIMIT when maxEjectionPercent forbids an ejection and `force` was not given. A write that
 * changes nothing (draining a drained endpoint) answers 200 with changed: false and emits no event; every
 * admitted write is one audit record (actor, action, target "upstream/endpoint", before, after, reason).
 */
export function endpointAction(action: EndpointAction, source: AdminSource, clock: Clock): RouteHandler {
  return async (req: IncomingMessage, res: ServerResponse, call: RouteCall): Promise<void> => {
    const upstream = source.upstreams().find((u) => u.name === call.params.upstream)
    if (upstream === undefined) return sendError(res, 404, 'BATON_UNKNOWN_UPSTREAM', `no upstream is named "${call.params.upstream}"`)
    const i = upstream.endpoints.findIndex((e) => e.id === call.params.endpoint)
    if (i < 0) {
      return sendError(res, 404, 'BATON_UNKNOWN_ENDPOINT', `upstream "${upstream.name}" has no endpoint "${call.params.endpoint}"`)
    }
    const body = await readJsonBody(req)
    if (!body.ok) return badBody(res, null, body.message)
    const parsed = BODIES[action].safeParse(body.value)
    if (!parsed.success) return badBody(res, ...fieldOf(parsed.error))
    const fields = parsed.data as { duration?: string | number; force?: boolean; reason?: string; weight?: number }
    const why = fields.reason ?? ''
    const before = manualState(upstream, i, clock)
    let applied: Applied
    switch (action) {
      case 'eject': {
        const duration = parseDuration(fields.duration ?? DEFAULT_MANUAL_EJECTION)
        if (!duration.ok) return badBody(res, 'duration', duration.message)
        if (duration.value < MIN_MANUAL_EJECTION_MS || duration.value > MAX_MANUAL_EJECTION_MS) {
          return badBody(res, 'duration', 'a manual ejection lasts from 1s to 24h (drain an endpoint to take it out until further notice)')
        }
        const result = upstream.health.ejectManually(i, duration.value, fields.force === true, call.actor, why)
        if (result === 'overflow') return ejectionLimit(res, upstream)
        applied = { changed: true, limitOverridden: result === 'overridden' }
        break
      }
      case 'uneject':
        applied = { changed: upstream.health.unejectManually(i, call.actor, why) }
        break
      case 'drain':
        applied = { changed: upstream.health.drainManually(i, call.actor, why) }
        break
      case 'undrain':
        applied = { changed: upstream.health.undrainManually(i, call.actor, why) }
        break
      case 'weight':
        applied = { changed: upstream.setWeight(i, fields.weight!, call.actor, why) }
        break
    }
    const endpoint = upstream.endpoints[i]
    source.audit.record({
      actor: call.actor,
      action,
      target: `${upstream.name}/${endpoint.id}`,
      before,
      after: manualState(upstream, i, clock),
      reason: why,
    })
    sendJson(res, 200, {
      upstream: upstream.name,
      endpoint: describeEndpoint(upstream, endpoint, i, clock.now()),
      changed: applied.changed,
      ...(applied.limitOverridden === undefined ? {} : { limitOverridden: applied.limitOverridden }),
      ...(applied.limitOverridden === true ? { message: 'maxEjectionPercent was overridden (force: true)' } : {}),
    })
  }
}

/** What an audit record keeps of an endpoint before and after a write. */
function manualState(u: UpstreamView, i: number, clock: Clock): Record<string, unknown> {
  const { manual, health, weight } = describeEndpoint(u, u.endpoints[i], i, clock.now())
  return { state: health.state, drained: manual.drained, ejectedUntil: manual.ejectedUntil, weight }
}

function badBody(res: ServerResponse, field: string | null, message: string): void {
  sendJson(res, 400, { error: 'BATON_BAD_BODY', message: field === null ? message : `${field}: ${message}`, field })
}

/** The field a zod issue is about: its path, or the first unknown key. */
function fieldOf(error: z.ZodError): [string | null, string] {
  const issue = error.issues[0]
  if (issue.code === 'unrecognized_keys') return [issue.keys[0], 'unknown field']
  return issue.path.length === 0 ? [null, 'the body must be a JSON object'] : [issue.path.join('.'), issue.message]
}

function ejectionLimit(res: ServerResponse, u: UpstreamView): void {
  const stats = u.health.stats()
  const allowed = Math.max(1, stats.maxEjected) // the first ejection is always allowed (ejection-manager.ts)
  sendError(res, 409, 'BATON_EJECTION_LIMIT', `${stats.ejected} of ${u.endpoints.length} endpoints are ejected and maxEjectionPercent allows ${allowed}; send "force": true to override`)
}
