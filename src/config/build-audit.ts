import { join, resolve } from 'node:path'
import type { RawConfig } from './schema.js'
import type { AuditConfig } from './types.js'

/** The file name in the default folders. */
const DEFAULT_FILE_NAME = 'audit.log'

/**
 * The audit trail is on by default wherever Baton has a place to write: `audit.file` when given (relative to
 * the config's folder); else `audit.log` in the first adaptive upstream's `stateDir` (the folder Baton was
 * given for its own state); else beside the config file. A config with no file behind it (text or objects
 * built in code) has no default place: its trail is off unless `file` is set.
 */
export function buildAudit(raw: RawConfig['audit'], upstreams: RawConfig['upstreams'], source: string, baseDir: string): AuditConfig {
  const common = { flushIntervalMs: raw.flushInterval, maxSizeBytes: raw.maxSize, keep: raw.keep }
  if (!raw.enabled) return { ...common, enabled: false, file: null, fileFrom: null }
  if (raw.file !== undefined) return { ...common, enabled: true, file: resolve(baseDir, raw.file), fileFrom: 'configured' }
  const stateDir = upstreams.map((u) => stateDirOf(u.policy)).find((d) => d !== null) ?? null
  if (stateDir !== null) return { ...common, enabled: true, file: join(resolve(baseDir, stateDir), DEFAULT_FILE_NAME), fileFrom: 'stateDir' }
  if (!source.startsWith('<')) return { ...common, enabled: true, file: join(baseDir, DEFAULT_FILE_NAME), fileFrom: 'configDir' }
  return { ...common, enabled: true, file: null, fileFrom: null }
}

/** No trail: what configs built in code get unless they ask for one (tests, embedding). */
export const NO_AUDIT: AuditConfig = { enabled: false, file: null, fileFrom: null, flushIntervalMs: 1_000, maxSizeBytes: 10 * 1_048_576, keep: 5 }

type RawPolicy = RawConfig['upstreams'][number]['policy']

/** The adaptive policy's stateDir, also as a hash policy's fallback; null for none. */
function stateDirOf(policy: RawPolicy): string | null {
  const p = policy.name === 'hash' ? policy.fallback : policy
  return p.name === 'adaptive' ? p.stateDir : null
}
