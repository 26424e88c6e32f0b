import type { IncomingMessage } from 'node:http'
import type { UpstreamHeaderBuilder } from '../forward/request-headers.js'
import type { RateLimiter } from '../overload/rate-limiter.js'

/**
 * The bucket key of a request on a rate-limited route (overload/rate-limiter.ts):
 * - `route`: '' (one bucket);
 * - `ip`: the client address cut to its prefix; the client is the direct peer, or, when the peer is one of the
 *   listener's trustedProxies, the rightmost X-Forwarded-For entry that is not a trusted proxy (each proxy
 *   appends the address it saw; entries left of the first untrusted one are whatever a client wrote);
 * - `header:NAME`: that header's value when a trusted proxy sent the request (anyone else could pick a fresh
 *   value per request and never be limited), else, and when it is absent, the client address as for `ip`.
 * For a direct peer on a keep-alive connection this allocates nothing (AddressMask remembers the last address).
 */
export function rateLimitKey(limiter: RateLimiter, req: IncomingMessage, builder: UpstreamHeaderBuilder): string {
  const mask = limiter.mask
  if (mask === null) return ''
  const peer = req.socket.remoteAddress ?? ''
  if (!builder.trusts(peer)) return mask.key(peer)
  const key = limiter.config.key
  if (key.source === 'header') {
    const value = headerValue(req.rawHeaders, key.name)
    if (value !== null) return value
  }
  return mask.key(forwardedClient(req.rawHeaders, builder) ?? peer)
}

/** The first field named `name` (lower case), else null. */
function headerValue(raw: readonly string[], name: string): string | null {
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i].length === name.length && raw[i].toLowerCase() === name) return raw[i + 1]
  }
  return null
}

/** The rightmost X-Forwarded-For entry that is not a trusted proxy; the leftmost when all are; null without one. */
function forwardedClient(raw: readonly string[], builder: UpstreamHeaderBuilder): string | null {
  const entries: string[] = []
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i].length === 15 && raw[i].toLowerCase() === 'x-forwarded-for') {
      for (const entry of raw[i + 1].split(',')) if (entry.trim() !== '') entries.push(entry.trim())
    }
  }
  for (let k = entries.length - 1; k >= 0; k--) if (!builder.trusts(entries[k])) return entries[k]
  return entries.length > 0 ? entries[0] : null
}
