import { z } from 'zod'
import { duration } from './schema-units.js'

/** Seconds per unit of a rate's denominator. */
const PER_UNIT: Readonly<Record<string, number>> = { s: 1, sec: 1, second: 1, m: 60, min: 60, minute: 60, h: 3600, hour: 3600 }

const RATE_MESSAGE = 'expected a rate like 100/s, 600/min or 10000/h'

/** `100/s`, `600/min`, `1.5/s`, `10000/h` (or a bare number, per second) → requests per second. */
function rate() {
  return z.unknown().transform((raw, ctx): number => {
    const perSecond = parseRate(raw)
    if (perSecond !== null && perSecond > 0) return perSecond
    const got = raw === undefined ? 'nothing' : JSON.stringify(raw)
    ctx.addIssue({ code: 'custom', message: `${RATE_MESSAGE}, got ${got}` })
    return z.NEVER
  })
}

function parseRate(raw: unknown): number | null {
  if (typeof raw === 'number') return Number.isFinite(raw) ? raw : null
  if (typeof raw !== 'string') return null
  const match = /^\s*(\d+(?:\.\d+)?)\s*\/\s*([a-z]+)\s*$/.exec(raw)
  if (match === null) return null
  const seconds = PER_UNIT[match[2]]
  return seconds === undefined ? null : Number(match[1]) / seconds
}

const KEY_MESSAGE = 'expected a key: route, ip, ip/PREFIX (IPv4 prefix 0..32) or header:NAME'

/** route | ip | ip/N | header:NAME. */
const rateLimitKey = z
  .string({ error: KEY_MESSAGE })
  .regex(/^(?:route|ip|ip\/(?:[0-9]|[12][0-9]|3[0-2])|header:[!#$%&'*+.^_`|~0-9A-Za-z-]+)$/, { error: KEY_MESSAGE })

/**
 * A route's `rateLimit:` (types.ts RateLimitConfig). No default limit: a proxy cannot guess what a backend
 * affords, so a route without this block is not limited.
 */
export const rateLimitSchema = z
  .strictObject({
    rate: rate(),
    /** Absent: one second's worth of the rate, at least 1. */
    burst: z.number().int().min(1).max(1_000_000_000).optional(),
    key: rateLimitKey.default('route'),
    ipv6Prefix: z.number().int().min(0).max(128).default(64),
    maxKeys: z.number().int().min(1).max(10_000_000).default(100_000),
  })
  .optional()

/** An upstream's `retryAfter:` (types.ts RetryAfterConfig). */
export const retryAfterSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    max: duration('60s', 0),
  })
  .prefault({})

/** An upstream's `storm:` (types.ts StormConfig). */
export const stormSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    warmup: duration('30s', 0),
    baseline: duration('60s', 1_000),
    band: z.number().min(1).max(100).default(4),
    minRate: z.number().min(0).default(50),
    minErrorRate: z.number().min(0).default(10),
    minErrorPercent: z.number().min(0).max(100).default(50),
    calm: duration('5s', 0),
    relax: duration('10s', 0),
  })
  .prefault({})
