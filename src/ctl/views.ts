import { formatTable } from './table.js'

/* How baton ctl shows the admin API's answers to a person: aligned tables, times in ISO 8601 UTC. */

interface EndpointJson {
  id: string
  weight: number
  inflight: number
  rps: number
  errors: number
  latencyMs: { p99: number }
  health: { state: string; routed: boolean; ejectionRemainingMs: number; slowStartFactor: number }
  manual?: { drained: boolean; ejectedUntil: string | null; weight: number | null }
}

interface UpstreamJson {
  name: string
  policy: string
  health: { panic: boolean; available: number }
  endpoints: EndpointJson[]
}

/** GET /api/upstreams: one line per endpoint. */
export function upstreamsTable(body: unknown, only: string | null = null): string {
  const upstreams = (body as UpstreamJson[]).filter((u) => only === null || u.name === only)
  const rows = [['UPSTREAM', 'POLICY', 'ENDPOINT', 'STATE', 'ROUTED', 'WEIGHT', 'INFLIGHT', 'RPS', 'P99_MS', 'MANUAL']]
  for (const u of upstreams) {
    for (const e of u.endpoints) {
      rows.push([
        u.health.panic ? `${u.name} (panic)` : u.name,
        u.policy,
        e.id,
        e.health.state,
        e.health.routed ? 'yes' : 'no',
        String(e.weight),
        String(e.inflight),
        round(e.rps),
        round(e.latencyMs.p99),
        manualNote(e),
      ])
    }
  }
  return formatTable(rows)
}

/** What an operator set on an endpoint, in words; '-' for nothing. */
function manualNote(e: EndpointJson): string {
  const m = e.manual
  if (m === undefined) return '-'
  const notes: string[] = []
  if (m.drained) notes.push('drained')
  if (m.ejectedUntil !== null) notes.push(`ejected until ${m.ejectedUntil}`)
  if (m.weight !== null) notes.push(`weight ${m.weight}`)
  return notes.length === 0 ? '-' : notes.join(', ')
}

/** The answer of an endpoint write: what the endpoint is now. */
export function endpointLine(body: unknown): string {
  const { upstream, endpoint, changed, message } = body as { upstream: string; endpoint: EndpointJson; changed: boolean; message?: string }
  const status = changed ? '' : ' (unchanged)'
  const note = message === undefined ? '' : `\n${message}`
  return `${upstream}/${endpoint.id}: ${endpoint.health.state}, weight ${endpoint.weight}, manual: ${manualNote(endpoint)}${status}${note}\n`
}

interface EventJson {
  timeMs: number
  upstream: string
  endpoint: string
  kind: string
  cause: string
  data: Record<string, unknown>
}

/** GET /api/events: oldest first. */
export function eventsTable(body: unknown): string {
  const events = (body as { events: EventJson[] }).events
  const rows = [['TIME', 'UPSTREAM', 'ENDPOINT', 'KIND', 'ACTOR', 'CAUSE']]
  for (const e of events) {
    rows.push([iso(e.timeMs), e.upstream || '-', e.endpoint || '-', e.kind, typeof e.data.actor === 'string' ? e.data.actor : '-', e.cause])
  }
  return formatTable(rows)
}

/** A record as GET /api/audit lists it; the time field's name is the trail's, so a few are accepted. */
interface AuditJson {
  time?: string | number
  timeMs?: number
  ts?: string | number
  actor: string
  action: string
  target: string
  reason: string
}

/** GET /api/audit: a list of records, bare or under `records` / `entries`. */
export function auditTable(body: unknown): string {
  const listed = body as AuditJson[] | { records?: AuditJson[]; entries?: AuditJson[] }
  const records = Array.isArray(listed) ? listed : (listed.records ?? listed.entries ?? [])
  const rows = [['TIME', 'ACTOR', 'ACTION', 'TARGET', 'REASON']]
  for (const r of records) rows.push([iso(r.timeMs ?? r.time ?? r.ts), r.actor, r.action, r.target || '-', r.reason || '-'])
  return formatTable(rows)
}

/** GET /api/routes. */
export function routesTable(body: unknown): string {
  const routes = body as { name: string; host: string | null; pathPrefix: string; upstream: string }[]
  return formatTable([['ROUTE', 'HOST', 'PATH_PREFIX', 'UPSTREAM'], ...routes.map((r) => [r.name, r.host ?? '*', r.pathPrefix, r.upstream])])
}

function iso(time: string | number | undefined): string {
  if (time === undefined) return '-'
  const date = new Date(time)
  return Number.isNaN(date.getTime()) ? String(time) : date.toISOString()
}

function round(n: number): string {
  return Number.isFinite(n) ? String(Math.round(n * 10) / 10) : '-'
}
