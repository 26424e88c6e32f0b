import { extname, resolve } from 'node:path'
import { endpointId } from './cross-checks.js'
import type { RawDiscovery } from './schema-discovery.js'
import type { DiscoveryConfig, EndpointConfig } from './types.js'

/** A validated endpoint entry as the snapshot holds it: id defaulted to host:port, URL reduced to its origin. */
export function buildEndpoint(e: { id?: string; url: string; weight: number }): EndpointConfig {
  return { id: endpointId(e), url: new URL(e.url).origin, weight: e.weight }
}

/** The one source of a validated `discovery:` block (discovery-checks.ts made sure there is exactly one). */
export function buildDiscovery(raw: RawDiscovery | undefined, baseDir: string): DiscoveryConfig | null {
  if (raw === undefined) return null
  if (raw.dns !== undefined) {
    const d = raw.dns
    return { kind: 'dns', name: d.name, port: d.port, intervalMs: d.interval, family: d.family, resolver: d.resolver, scheme: d.scheme }
  }
  if (raw.srv !== undefined) {
    const s = raw.srv
    return { kind: 'srv', name: s.name, intervalMs: s.interval, family: s.family, resolver: s.resolver, scheme: s.scheme }
  }
  if (raw.file !== undefined) {
    const path = resolve(baseDir, raw.file.path)
    return { kind: 'file', path, format: raw.file.format ?? (extname(path).toLowerCase() === '.json' ? 'json' : 'yaml'), pollIntervalMs: raw.file.interval }
  }
  return null
}
