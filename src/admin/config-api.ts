import type { BatonConfig } from '../config/types.js'

/*
 * The running config over HTTP: GET /api/routes (the route table, in match order) and GET /api/config (the
 * whole effective snapshot, defaults filled in, secrets redacted).
 */

export interface RouteJson {
  name: string
  /** Exact or `*.suffix`; null matches any host. */
  host: string | null
  pathPrefix: string
  upstream: string
  options: { retryNonIdempotent: boolean | null; maxBodyBytes: number | null; allowTrace: boolean }
}

/** The routes, first match wins. */
export function describeRoutes(config: BatonConfig): RouteJson[] {
  return config.routes.map((r) => ({
    name: r.name,
    host: r.host,
    pathPrefix: r.pathPrefix,
    upstream: r.upstream,
    options: { retryNonIdempotent: r.retryNonIdempotent, maxBodyBytes: r.maxBodyBytes, allowTrace: r.allowTrace },
  }))
}

const REDACTED = '[redacted]'
/** Property names whose string values are secrets wherever they appear. */
const SECRET_NAMES = /^(secret|password|passphrase|token|key)$/i
/** PEM private keys, should one sit under another name. */
const PRIVATE_KEY = /-----BEGIN [A-Z ]*PRIVATE KEY-----/

/**
 * The effective config as JSON with secrets out. Token secrets and TLS keys are already non-enumerable or
 * redacted by their toJSON (config/admin-token.ts, config/tls-files.ts); this adds a second line for
 * whatever a later field adds: any string under a secret-like name, any PEM private key, and the password
 * of a URL with credentials (an endpoint URL with user:pass@, an ${ENV} substituted into it).
 */
export function redactedConfig(config: BatonConfig): unknown {
  return JSON.parse(JSON.stringify(config, (name, value: unknown) => (typeof value === 'string' ? redact(name, value) : value)))
}

function redact(name: string, value: string): string {
  if (SECRET_NAMES.test(name) || PRIVATE_KEY.test(value)) return REDACTED
  return value.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/:@]*):[^/@]*@/i, `$1:${REDACTED}@`)
}
