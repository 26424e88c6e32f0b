import type { RateLimitView } from './types.js'

export interface RateLimitJson {
  route: string
  /** Tokens per second. */
  rate: number
  burst: number
  /** "route", "ip/24/64" or "header:NAME". */
  key: string
  /** Requests refused with 429 since the limit was created. */
  limited: number
  /** Keys held now, at most maxKeys; keys forgotten to make room. */
  keys: number
  maxKeys: number
  evictions: number
}

/** The body of GET /api/ratelimits: every route's limit and its counters. */
export function describeRateLimits(limits: readonly RateLimitView[]): RateLimitJson[] {
  return limits.map((l) => ({
    route: l.route,
    rate: l.config.ratePerSecond,
    burst: l.config.burst,
    key: keyName(l.config.key),
    limited: l.limited,
    keys: l.buckets.size,
    maxKeys: l.buckets.capacity,
    evictions: l.buckets.evictions,
  }))
}

function keyName(key: RateLimitView['config']['key']): string {
  if (key.source === 'route') return 'route'
  const prefixes = `${key.ipv4Prefix}/${key.ipv6Prefix}`
  return key.source === 'ip' ? `ip/${prefixes}` : `header:${key.name}`
}
