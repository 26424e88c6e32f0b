import { createHash, timingSafeEqual } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import type { AdminConfig, AdminRole } from '../config/types.js'
import { sendError } from '../util/error-response.js'
import { parseAuthority, type Authority } from '../util/authority.js'
import type { Logger } from '../util/logger.js'
import { isIpLiteral, isLoopbackAddress } from '../util/loopback-address.js'
import type { AuthFailureTrail } from './auth-failure-trail.js'
import { pathOf, type RouteAccess, type RouteGuard } from './route-table.js'

/**
 * Who may use the admin API, decided per request before any route runs (issue 10, item 14):
 *
 * 1. Host (every route but public ones): the Host header must name this listener: its address and bound
 *    port; localhost, 127.0.0.1 or [::1] with that port when it listens on loopback; any IP literal with that
 *    port when it listens on every interface; or a name in admin.allowedHosts. Otherwise 421. This stops DNS
 *    rebinding: a page that makes the browser resolve its own name to this address still sends its own name.
 *    An IP literal cannot be rebound, and a page at another origin cannot read what it sends there.
 * 2. Token (when admin.tokens is not empty; every route but public ones): `Authorization: Bearer <secret>`
 *    with a known secret, else 401; a read token on a write is 403. Secrets are compared as SHA-256 digests
 *    with timingSafeEqual, so neither their content nor their length shows in the timing.
 * 3. Writes, with or without tokens: an Origin header, when present, must name this listener by rule 1, else
 *    403; the Content-Type must be application/json, else 415. A cross-origin page can send a text/plain or
 *    form POST without a preflight, but never one with a foreign Origin hidden or with application/json
 *    (that needs a CORS preflight, which this server never grants).
 *
 * Statuses: 421 Misdirected Request for a wrong Host (RFC 9110 §15.5.20: this server will not answer for that
 * name; it is not a matter of permission, and 403 would send one to look at tokens); 401 with
 * WWW-Authenticate: Bearer (RFC 6750 §3) for no or an unknown token; 403 for a read token on a write and for a
 * foreign Origin; 415 for a write that is not JSON.
 */
export class AdminAuth {
  private readonly hosts: HostRule
  private readonly tokens: readonly KnownToken[]

  /** `bound` is the socket address actually listened on (config.port may be 0, config.address a name). */
  constructor(config: Pick<AdminConfig, 'address' | 'tokens' | 'allowedHosts'>, bound: { readonly address: string; readonly port: number }) {
    this.hosts = new HostRule([config.address, bound.address], bound.port, config.allowedHosts)
    this.tokens = config.tokens.map((t) => ({ name: t.name, role: t.role, digest: digest(t.secret) }))
  }

  /** Whether a request may reach a route of `access`, and if not, why and with which answer. */
  decide(request: AdminRequest, access: RouteAccess): AuthDecision {
    if (access === 'public') return { allowed: true, tokenName: null }
    const host = request.host === undefined ? null : parseAuthority(request.host)
    if (host === null || !this.hosts.allows(host.hostname, host.port ?? HTTP_PORT)) return BAD_HOST
    let tokenName: string | null = null
    if (this.tokens.length > 0) {
      const presented = bearerToken(request.authorization)
      if (presented === null) return request.authorization === undefined ? NO_CREDENTIALS : NOT_BEARER
      const token = this.find(presented)
      if (token === null) return UNKNOWN_TOKEN
      if (access === 'write' && token.role !== 'admin') return { ...READ_TOKEN_ON_WRITE, tokenName: token.name }
      tokenName = token.name
    }
    if (access === 'write') {
      if (request.origin !== undefined && !this.originAllowed(request.origin)) return { ...FOREIGN_ORIGIN, tokenName }
      if (!isJson(request.contentType)) return { ...NOT_JSON, tokenName }
    }
    return { allowed: true, tokenName }
  }

  /** The token whose secret is `presented`; every token is compared, so the time does not say which matched. */
  private find(presented: string): KnownToken | null {
    const presentedDigest = digest(presented)
    let found: KnownToken | null = null
    for (const token of this.tokens) {
      if (timingSafeEqual(presentedDigest, token.digest) && found === null) found = token
    }
    return found
  }

  /** An Origin (RFC 6454 serialisation) naming this listener by the Host rule, its port defaulted by its scheme. */
  private originAllowed(origin: string): boolean {
    let url: URL
    try {
      url = new URL(origin)
    } catch {
      return false // "null" (sandboxed frames, file:, some redirects) and anything else unparsable
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return false
    const port = url.port === '' ? (url.protocol === 'https:' ? HTTPS_PORT : HTTP_PORT) : Number(url.port)
    return this.hosts.allows(url.hostname, port)
  }
}

/** The request headers a decision reads, as Node parsed them. */
export interface AdminRequest {
  readonly host: string | undefined
  readonly authorization: string | undefined
  readonly origin: string | undefined
  readonly contentType: string | undefined
}

export type AuthDecision = { readonly allowed: true; readonly tokenName: string | null } | Refusal

export interface Refusal {
  readonly allowed: false
  readonly status: number
  /** Stable error code of the JSON body. */
  readonly code: string
  readonly message: string
  /** Short stable reason for the log line. */
  readonly reason: string
  /** The token's name when a known token was used (e.g. a read token on a write); never its secret. */
  readonly tokenName: string | null
  readonly headers: Readonly<Record<string, string>>
}

/**
 * The guard the admin route table runs before every handler: decides, logs every refusal at warn with the
 * peer address (never a credential) and hands it to the audit trail (collapsed per peer), answers it, and
 * logs each admitted write at info with its token's name. The caller it admits is named by its token, or
 * `anonymous@<peer address>` when the API has no tokens (loopback only: whoever can reach it).
 */
export function adminGuard(auth: AdminAuth, logger: Logger, failures: AuthFailureTrail): RouteGuard {
  return (req, res, access) => {
    const decision = auth.decide(requestOf(req), access)
    const peer = req.socket.remoteAddress ?? 'unknown'
    const where = { peer, method: req.method, path: pathOf(req.url ?? '/') }
    if (decision.allowed) {
      if (access === 'write') logger.info({ ...where, token: decision.tokenName }, 'admin write admitted')
      return { actor: decision.tokenName ?? `anonymous@${peer}` }
    }
    failures.refused({ tokenName: decision.tokenName, peer, method: req.method ?? 'GET', path: where.path, status: decision.status, reason: decision.reason })
    logger.warn(
      {
        ...where,
        reason: decision.reason,
        status: decision.status,
        token: decision.tokenName,
        host: req.headers.host ?? null,
        origin: req.headers.origin ?? null,
      },
      'admin request refused',
    )
    for (const [name, value] of Object.entries(decision.headers)) res.setHeader(name, value)
    sendError(res, decision.status, decision.code, decision.message)
    return null
  }
}

function requestOf(req: IncomingMessage): AdminRequest {
  const h = req.headers
  return { host: h.host, authorization: h.authorization, origin: h.origin, contentType: h['content-type'] }
}

const HTTP_PORT = 80
const HTTPS_PORT = 443
const REALM = 'Bearer realm="baton-admin"'

function refusal(status: number, code: string, reason: string, message: string, headers: Record<string, string> = {}): Refusal {
  return Object.freeze({ allowed: false, status, code, reason, message, tokenName: null, headers })
}

const BAD_HOST = refusal(421, 'BATON_ADMIN_BAD_HOST', 'bad-host', 'the Host header does not name this admin server; list other names in admin.allowedHosts')
const NO_CREDENTIALS = refusal(401, 'BATON_ADMIN_UNAUTHORIZED', 'no-credentials', 'this admin API needs Authorization: Bearer <token>', { 'www-authenticate': REALM })
const NOT_BEARER = refusal(401, 'BATON_ADMIN_UNAUTHORIZED', 'not-bearer', 'expected Authorization: Bearer <token>', { 'www-authenticate': REALM })
const UNKNOWN_TOKEN = refusal(401, 'BATON_ADMIN_UNAUTHORIZED', 'unknown-token', 'the token is not valid', { 'www-authenticate': `${REALM}, error="invalid_token"` })
const READ_TOKEN_ON_WRITE = refusal(403, 'BATON_ADMIN_FORBIDDEN', 'read-token-on-write', 'this call changes state and needs a token with role admin', {
  'www-authenticate': `${REALM}, error="insufficient_scope"`,
})
const FOREIGN_ORIGIN = refusal(403, 'BATON_ADMIN_CSRF', 'foreign-origin', 'a write from another origin is refused (Origin does not name this admin server)')
const NOT_JSON = refusal(415, 'BATON_ADMIN_CONTENT_TYPE', 'not-json', 'a write needs Content-Type: application/json')

interface KnownToken {
  readonly name: string
  readonly role: AdminRole
  /** SHA-256 of the secret: fixed length, so timingSafeEqual never sees two lengths. */
  readonly digest: Buffer
}

function digest(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest()
}

/** RFC 6750 §2.1: `Bearer <b64token>`, the scheme in any case (RFC 9110 §11.1); null for anything else. */
function bearerToken(authorization: string | undefined): string | null {
  const match = authorization === undefined ? null : /^bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(authorization)
  return match === null ? null : match[1]
}

/** application/json with any parameters (charset=utf-8), in any case (RFC 9110 §8.3.1). */
function isJson(contentType: string | undefined): boolean {
  return contentType !== undefined && contentType.split(';')[0].trim().toLowerCase() === 'application/json'
}

/** Addresses that bind every interface. */
const WILDCARDS = new Set(['0.0.0.0', '::', '[::]'])
/** How a browser on this machine names a loopback listener. */
const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]']

/** An IPv6 address as it stands in a Host header: in brackets. */
function bracketed(address: string): string {
  return address.includes(':') && !address.startsWith('[') ? `[${address}]` : address
}

/** The names this listener answers to (rule 1 above). */
class HostRule {
  /** Host names accepted with the bound port. */
  private readonly names = new Set<string>()
  /** Listening on every interface: any IP literal with the bound port names it. */
  private readonly anyIp: boolean
  private readonly extra: readonly Authority[]

  /** `addresses`: as configured and as bound (a configured name resolves to an IP). */
  constructor(
    addresses: readonly string[],
    private readonly port: number,
    allowedHosts: readonly string[],
  ) {
    this.anyIp = addresses.some((a) => WILDCARDS.has(a))
    for (const address of addresses) {
      const own = WILDCARDS.has(address) ? null : parseAuthority(bracketed(address))
      if (own !== null) this.names.add(own.hostname)
      if (this.anyIp || isLoopbackAddress(address)) for (const name of LOOPBACK_NAMES) this.names.add(name)
    }
    this.extra = allowedHosts.map(parseAuthority).filter((a): a is Authority => a !== null)
  }

  /** `hostname` as parseAuthority or URL normalise it; `port` with its scheme's default filled in. */
  allows(hostname: string, port: number): boolean {
    if (this.extra.some((a) => a.hostname === hostname && (a.port === null || a.port === port))) return true
    return port === this.port && (this.names.has(hostname) || (this.anyIp && isIpLiteral(hostname)))
  }
}
