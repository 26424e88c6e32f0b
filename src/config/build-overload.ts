import type { z } from 'zod'
import { retryAfterSchema, stormSchema, type rateLimitSchema } from './schema-overload.js'
import type { RateLimitConfig, RateLimitKey, RetryAfterConfig, StormConfig } from './types.js'

/** IPv4 prefix when the key is `ip` or a header: each address its own bucket. */
const DEFAULT_IPV4_PREFIX = 32

/** YAML `rateLimit:` → RateLimitConfig; absent → null (no limit). */
export function buildRateLimit(r: z.output<typeof rateLimitSchema>): RateLimitConfig | null {
  if (r === undefined) return null
  return {
    ratePerSecond: r.rate,
    // One second's worth of the rate: a client may send a second's quota at once, not more.
    burst: r.burst ?? Math.max(1, Math.ceil(r.rate)),
    key: buildKey(r.key, r.ipv6Prefix),
    maxKeys: r.maxKeys,
  }
}

function buildKey(key: string, ipv6Prefix: number): RateLimitKey {
  if (key === 'route') return { source: 'route' }
  if (key.startsWith('header:')) return { source: 'header', name: key.slice(7).toLowerCase(), ipv4Prefix: DEFAULT_IPV4_PREFIX, ipv6Prefix }
  const slash = key.indexOf('/')
  return { source: 'ip', ipv4Prefix: slash < 0 ? DEFAULT_IPV4_PREFIX : Number(key.slice(slash + 1)), ipv6Prefix }
}

/** YAML `retryAfter:` → RetryAfterConfig. */
export function buildRetryAfter(r: z.output<typeof retryAfterSchema>): RetryAfterConfig {
  return { enabled: r.enabled, maxMs: r.max }
}

/** YAML `storm:` → StormConfig. */
export function buildStorm(s: z.output<typeof stormSchema>): StormConfig {
  return {
    enabled: s.enabled,
    warmupMs: s.warmup,
    baselineMs: s.baseline,
    band: s.band,
    minRatePerSecond: s.minRate,
    minErrorsPerSecond: s.minErrorRate,
    minErrorFraction: s.minErrorPercent / 100,
    calmMs: s.calm,
    relaxMs: s.relax,
  }
}

/** Every retryAfter option at its default (for configs built in code). */
export const DEFAULT_RETRY_AFTER: RetryAfterConfig = buildRetryAfter(retryAfterSchema.parse(undefined))

/** Every storm option at its default (for configs built in code). */
export const DEFAULT_STORM: StormConfig = buildStorm(stormSchema.parse(undefined))
