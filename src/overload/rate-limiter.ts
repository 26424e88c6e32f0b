import type { RateLimitConfig, RateLimitKey, RouteConfig } from '../config/types.js'
import { AddressMask } from './address-mask.js'
import { BucketLru } from './bucket-lru.js'

/**
 * One route's rate limit: a token bucket per client key (or one for the route), `ratePerSecond` refill and
 * `burst` deep, in an LRU of at most maxKeys keys (bucket-lru.ts). take() is O(1) and allocation-free for a
 * key already held. A config reload keeps the buckets of a limit that stayed (same route, same key): the rate
 * and burst may change, the tokens carry over (cut to the new burst); a new key definition starts afresh.
 */
export class RateLimiter {
  readonly buckets: BucketLru
  /** Route name plus the key definition: a reload carries buckets over only when both match. */
  readonly identity: string
  /** Cuts client addresses to the configured prefixes; null for a route-wide bucket. */
  readonly mask: AddressMask | null
  /** Requests refused with 429 since the limit was created (carried over a reload). */
  limited = 0
  private readonly ratePerMs: number
  private readonly burst: number

  constructor(
    readonly route: string,
    readonly config: RateLimitConfig,
    previous: RateLimiter | null = null,
  ) {
    this.identity = limitIdentity(route, config.key)
    this.buckets = new BucketLru(config.key.source === 'route' ? 1 : config.maxKeys)
    this.mask = config.key.source === 'route' ? null : new AddressMask(config.key.ipv4Prefix, config.key.ipv6Prefix)
    this.ratePerMs = config.ratePerSecond / 1000
    this.burst = config.burst
    if (previous !== null && previous.identity === this.identity) {
      this.buckets.adopt(previous.buckets, this.burst)
      this.limited = previous.limited
    }
  }

  /**
   * Takes a token for `key` at `nowMs`: 0 when the request may go on, else the whole seconds until a token is
   * there (at least 1), for Retry-After (RFC 9110 §10.2.3: delay-seconds is a whole number; rounded up, so a
   * client that waits as told finds a token).
   */
  take(key: string, nowMs: number): number {
    const waitMs = this.buckets.take(key, nowMs, this.ratePerMs, this.burst)
    if (waitMs === 0) return 0
    this.limited++
    return Math.max(1, Math.ceil(waitMs / 1000))
  }

  /** Seconds for the bucket to fill from empty: the window of the RateLimit-Policy field. */
  windowSeconds(): number {
    return Math.max(1, Math.ceil(this.burst / this.config.ratePerSecond))
  }
}

/** The rate limits of one config snapshot, by route name; built from the previous snapshot's on a reload. */
export function buildRateLimiters(routes: readonly RouteConfig[], previous: ReadonlyMap<string, RateLimiter>): Map<string, RateLimiter> {
  const limiters = new Map<string, RateLimiter>()
  for (const r of routes) {
    if (r.rateLimit === null) continue
    limiters.set(r.name, new RateLimiter(r.name, r.rateLimit, previous.get(r.name) ?? null))
  }
  return limiters
}

function limitIdentity(route: string, key: RateLimitKey): string {
  switch (key.source) {
    case 'route':
      return `${route} route`
    case 'ip':
      return `${route} ip/${key.ipv4Prefix}/${key.ipv6Prefix}`
    case 'header':
      return `${route} header:${key.name}/${key.ipv4Prefix}/${key.ipv6Prefix}`
  }
}
