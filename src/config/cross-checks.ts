import type { RawConfig } from './schema.js'

/** A problem found across fields, with the key path it belongs to. */
export interface PathIssue {
  readonly path: (string | number)[]
  readonly message: string
}

/**
 * Rules no single field can check: names and ports unique, routes naming real upstreams, routes present
 * when they are ambiguous, host patterns well-formed. Returns every problem, in document order.
 */
export function crossCheck(config: RawConfig): PathIssue[] {
  return [
    ...listenerPorts(config),
    ...upstreamNames(config),
    ...endpointIds(config),
    ...routes(config),
    ...demoPorts(config),
  ]
}

function listenerPorts(config: RawConfig): PathIssue[] {
  const issues = duplicates(config.listeners.map((l) => (l.port === 0 ? null : `${l.address}:${l.port}`)), (i, first) => ({
    path: ['listeners', i, 'port'],
    message: `port ${config.listeners[i].port} is already used by listeners[${first}]`,
  }))
  const admin = config.admin
  if (admin.enabled && admin.port !== 0) {
    const clash = config.listeners.findIndex((l) => l.port === admin.port)
    if (clash >= 0) issues.push({ path: ['admin', 'port'], message: `port ${admin.port} is already used by listeners[${clash}]` })
  }
  return issues
}

function upstreamNames(config: RawConfig): PathIssue[] {
  return duplicates(config.upstreams.map((u) => u.name), (i, first) => ({
    path: ['upstreams', i, 'name'],
    message: `duplicate upstream name "${config.upstreams[i].name}" (first at upstreams[${first}])`,
  }))
}

function endpointIds(config: RawConfig): PathIssue[] {
  return config.upstreams.flatMap((u, ui) =>
    duplicates(u.endpoints.map(endpointId), (i, first) => ({
      path: ['upstreams', ui, 'endpoints', i],
      message: `duplicate endpoint "${endpointId(u.endpoints[i])}" (first at upstreams[${ui}].endpoints[${first}])`,
    })),
  )
}

function routes(config: RawConfig): PathIssue[] {
  if (config.routes === undefined) {
    return config.upstreams.length === 1
      ? []
      : [{ path: ['routes'], message: 'routes are required when there is more than one upstream' }]
  }
  const names = new Set(config.upstreams.map((u) => u.name))
  const issues: PathIssue[] = []
  config.routes.forEach((r, i) => {
    if (!names.has(r.upstream)) issues.push({ path: ['routes', i, 'upstream'], message: `unknown upstream "${r.upstream}"; known: ${[...names].join(', ')}` })
    const host = r.match.host
    if (host !== undefined && (host.lastIndexOf('*') > 0 || (host.startsWith('*') && !host.startsWith('*.')))) {
      issues.push({ path: ['routes', i, 'match', 'host'], message: `invalid host pattern "${host}": a wildcard may only lead, as in *.example.com` })
    }
  })
  return issues
}

function demoPorts(config: RawConfig): PathIssue[] {
  const backends = config.demo?.backends ?? []
  return duplicates(backends.map((b) => (b.port === 0 ? null : b.port)), (i, first) => ({
    path: ['demo', 'backends', i, 'port'],
    message: `port ${backends[i].port} is already used by demo.backends[${first}]`,
  }))
}

/** The id an endpoint gets: its configured id, else the URL's host:port. */
export function endpointId(e: { id?: string; url: string }): string {
  return e.id ?? new URL(e.url).host
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
