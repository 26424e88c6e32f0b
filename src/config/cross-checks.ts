import { isLoopbackAddress } from '../util/loopback-address.js'
import { formatPath } from './config-error.js'
import { discoveryChecks } from './discovery-checks.js'
import type { PathIssue } from './path-issue.js'
import type { RawConfig } from './schema.js'
import { socketClashes } from './socket-checks.js'


/**
 * Rules no single field can check: ports and names unique, routes naming real upstreams, routes present
 * when they are ambiguous, limits that must be ordered. Returns every problem found.
 */
export function crossCheck(config: RawConfig): PathIssue[] {
  return [
    ...socketClashes(config),
    ...listenerTimeouts(config),
    ...uniqueNames(['listeners'], 'listener', config.listeners),
    ...uniqueNames(['upstreams'], 'upstream', config.upstreams),
    ...uniqueNames(['routes'], 'route', config.routes ?? []),
    ...uniqueNames(['demo', 'backends'], 'demo backend', config.demo?.backends ?? []),
    ...uniqueNames(['admin', 'tokens'], 'admin token', config.admin.tokens),
    ...adminExposure(config),
    ...endpointIds(config),
    ...discoveryChecks(config),
    ...routes(config),
    ...healthLimits(config),
  ]
}

/** Node's http.Server throws ERR_OUT_OF_RANGE when headersTimeout exceeds a non-zero requestTimeout. */
function listenerTimeouts(config: RawConfig): PathIssue[] {
  return config.listeners.flatMap((l, i) =>
    l.requestTimeout > 0 && l.headersTimeout > l.requestTimeout
      ? [{ path: ['listeners', i, 'headersTimeout'], message: `headersTimeout ${l.headersTimeout} ms exceeds requestTimeout ${l.requestTimeout} ms` }]
      : [],
  )
}

/**
 * An admin API without tokens may only listen where nothing but this machine reaches it: anyone who reaches
 * it can read every upstream and roll the learned model back (issue 10).
 */
function adminExposure(config: RawConfig): PathIssue[] {
  const { enabled, address, tokens } = config.admin
  if (!enabled || tokens.length > 0 || isLoopbackAddress(address)) return []
  return [
    {
      path: ['admin', 'address'],
      message: `the admin API on ${address} needs a token: anyone who reaches that address could read every upstream and roll the model back; add admin.tokens or listen on 127.0.0.1`,
    },
  ]
}

/** Explicit names must differ within a list (they key metrics, logs and the admin API). */
function uniqueNames(section: string[], what: string, items: readonly { name?: string }[]): PathIssue[] {
  return duplicates(items.map((item) => item.name ?? null), (i, first) => ({
    path: [...section, i, 'name'],
    message: `duplicate ${what} name "${items[i].name}" (first at ${formatPath([...section, first])})`,
  }))
}

function endpointIds(config: RawConfig): PathIssue[] {
  return config.upstreams.flatMap((u, ui) =>
    duplicates((u.endpoints ?? []).map(endpointId), (i, first) => ({
      path: ['upstreams', ui, 'endpoints', i],
      message: `duplicate endpoint "${endpointId(u.endpoints![i])}" (first at upstreams[${ui}].endpoints[${first}])`,
    })),
  )
}

function routes(config: RawConfig): PathIssue[] {
  if (config.routes === undefined) {
    return config.upstreams.length === 1 ? [] : [{ path: ['routes'], message: 'routes are required when there is more than one upstream' }]
  }
  const names = config.upstreams.map((u) => u.name)
  return config.routes.flatMap((r, i) =>
    names.includes(r.upstream) ? [] : [{ path: ['routes', i, 'upstream'], message: `unknown upstream "${r.upstream}"; known: ${names.join(', ')}` }],
  )
}

/** Ranges given as two keys must not be upside down. */
function healthLimits(config: RawConfig): PathIssue[] {
  return config.upstreams.flatMap((u, i) => {
    const issues: PathIssue[] = []
    const status = u.health.active?.expectedStatus
    if (status !== undefined && status.min > status.max) {
      issues.push({ path: ['upstreams', i, 'health', 'active', 'expectedStatus', 'max'], message: `max ${status.max} is below min ${status.min}` })
    }
    const o = u.health.outlier
    if (o.maxEjectionTime < o.baseEjectionTime) {
      issues.push({ path: ['upstreams', i, 'health', 'outlier', 'maxEjectionTime'], message: `maxEjectionTime ${o.maxEjectionTime} ms is below baseEjectionTime ${o.baseEjectionTime} ms` })
    }
    return issues
  })
}

/** The id an endpoint gets: its configured id, else the URL's host:port, the scheme's port when none is written. */
export function endpointId(e: { id?: string; url: string }): string {
  if (e.id !== undefined) return e.id
  const url = new URL(e.url)
  return `${url.hostname}:${url.port || (url.protocol === 'https:' ? '443' : '80')}`
}

/** An issue for every repeat of a non-null key, naming where it first appeared. */
function duplicates<K>(keys: readonly (K | null)[], issue: (index: number, first: number) => PathIssue): PathIssue[] {
  const firstSeen = new Map<K, number>()
  const issues: PathIssue[] = []
  keys.forEach((key, i) => {
    if (key === null) return
    const first = firstSeen.get(key)
    if (first === undefined) firstSeen.set(key, i)
    else issues.push(issue(i, first))
  })
  return issues
}
