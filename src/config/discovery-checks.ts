import type { PathIssue } from './path-issue.js'
import type { RawConfig } from './schema.js'

const SOURCES = ['dns', 'srv', 'file'] as const

/**
 * Where each upstream's endpoints come from: a static `endpoints:` list with at least one entry, or one
 * `discovery:` source instead (an empty or absent list then; the source fills it at run time).
 */
export function discoveryChecks(config: RawConfig): PathIssue[] {
  return config.upstreams.flatMap((u, i): PathIssue[] => {
    const at = ['upstreams', i]
    if (u.discovery === undefined) {
      if (u.endpoints === undefined) return [{ path: [...at, 'endpoints'], message: 'missing required key "endpoints": an upstream needs at least one endpoint, or a discovery: source' }]
      if (u.endpoints.length === 0) return [{ path: [...at, 'endpoints'], message: 'an upstream needs at least one endpoint, or a discovery: source' }]
      return []
    }
    const issues: PathIssue[] = []
    if (u.endpoints !== undefined && u.endpoints.length > 0) {
      issues.push({ path: [...at, 'endpoints'], message: 'an upstream takes its endpoints from endpoints: or from discovery:, not both (leave endpoints out)' })
    }
    const given = SOURCES.filter((s) => u.discovery![s] !== undefined)
    if (given.length === 0) issues.push({ path: [...at, 'discovery'], message: 'discovery needs one source: dns, srv or file' })
    for (const extra of given.slice(1)) {
      issues.push({ path: [...at, 'discovery', extra], message: `discovery takes one source: ${given[0]} and ${extra} are both given` })
    }
    return issues
  })
}
