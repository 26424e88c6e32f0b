import { adminSchema, type RawConfig } from './schema.js'
import type { AdminConfig, AdminToken } from './types.js'

/** The admin server's built config; `tokens` carry the secrets admin-secrets.ts read for `raw.tokens`. */
export function buildAdmin(raw: RawConfig['admin'], tokens: readonly AdminToken[]): AdminConfig {
  return { address: raw.address, port: raw.port, tokens, allowedHosts: raw.allowedHosts.map((h) => h.toLowerCase()) }
}

/** What a config without `admin:` gets (127.0.0.1:9901, no tokens), with `overrides`: for configs built in code. */
export function defaultAdmin(overrides: Partial<AdminConfig> = {}): AdminConfig {
  return { ...buildAdmin(adminSchema.parse({}), []), ...overrides }
}
