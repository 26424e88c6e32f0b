import { z } from 'zod'
import { duration, size } from './schema-units.js'
import { parseDuration } from './units.js'

/** YAML of an upstream's `retry:` block (types.ts RetryConfig has the meaning of each key). */
export const retrySchema = z
  .strictObject({
    maxRetries: z.number().int().min(0).max(10).default(2),
    retryOnStatus: z.array(z.number().int().min(500).max(599)).default([500, 502, 503, 504]),
    retryNonIdempotent: z.boolean().default(false),
    replayBuffer: size('64KiB'),
    // A percentage, 0..100, like every *Percent key (it was a fraction 0..1 before 2026-12): a value in (0, 1)
    // is refused rather than read as under 1 %, so an old config fails loudly instead of starving retries.
    budgetPercent: z
      .number()
      .min(0)
      .max(100)
      .refine((v) => v === 0 || v >= 1, { error: 'budgetPercent is a percentage from 0 to 100 (write 20 for 20 %); values between 0 and 1 are refused since it stopped being a fraction' })
      .default(20),
    budgetMinConcurrent: z.number().int().min(0).default(3),
    perTryTimeout: duration('0ms'),
    overallTimeout: duration('0ms'),
    hedge: z
      .strictObject({
        enabled: z.boolean().default(true),
        delay: hedgeDelay(),
        minDelay: duration('5ms'),
        tailFactor: z.number().min(1).max(100).default(4),
        tailFloor: duration('50ms', 1),
      })
      .prefault({}),
  })
  .prefault({})

/** `delay: tail` (the default) or `p95` (kept as the string), or a duration of at least 1 ms. */
function hedgeDelay() {
  return z.unknown().optional().transform((raw, ctx): number | 'p95' | 'tail' => {
    if (raw === undefined || raw === 'tail') return 'tail'
    if (raw === 'p95') return 'p95'
    const parsed = parseDuration(raw)
    if (parsed.ok && parsed.value >= 1) return parsed.value
    ctx.addIssue({ code: 'custom', message: `expected tail, p95 or a duration of at least 1 ms like 20ms, got ${JSON.stringify(raw)}` })
    return z.NEVER
  })
}

const activeSchema = z
  .strictObject({
    method: z.enum(['GET', 'HEAD', 'OPTIONS']).default('GET'),
    path: z.string().startsWith('/', { error: 'path must start with "/"' }).default('/healthz'),
    expectedStatus: z
      .strictObject({ min: z.number().int().min(100).max(599).default(200), max: z.number().int().min(100).max(599).default(399) })
      .prefault({}),
    bodyContains: z.string().nullable().default(null),
    interval: duration('5s', 10),
    jitter: duration('1s'),
    unhealthyInterval: duration('2s', 10),
    timeout: duration('2s', 1),
    rise: z.number().int().min(1).default(2),
    fall: z.number().int().min(1).default(3),
    initialState: z.enum(['healthy', 'unknown']).default('healthy'),
  })
  .nullable()
  .default(null)

const outlierSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    consecutive5xx: z.number().int().min(1).default(5),
    consecutiveGatewayErrors: z.number().int().min(1).default(3),
    interval: duration('10s', 100),
    baseEjectionTime: duration('30s', 1),
    maxEjectionTime: duration('300s', 1),
    maxEjectionPercent: z.number().min(0).max(100).default(10),
    successRateStdevFactor: z.number().positive().default(1.9),
    successRateMinimumHosts: z.number().int().min(1).default(5),
    successRateRequestVolume: z.number().int().min(1).default(100),
    failurePercentageThreshold: z.number().min(0).max(100).default(85),
    failurePercentageMinimumHosts: z.number().int().min(1).default(5),
    latencyMultiple: z.number().gt(1).default(3),
    latencyMinimumHosts: z.number().int().min(2).default(3),
    latencyIntervals: z.number().int().min(1).default(2),
  })
  .prefault({})

const slowStartSchema = z
  .strictObject({
    mode: z.enum(['observed', 'clock']).default('observed'),
    responses: z.number().int().positive().default(20),
    window: duration('30s'),
    aggression: z.number().positive().default(1),
    minPercent: z.number().min(0).max(100).default(10),
  })
  .prefault({})

const forecastSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    interval: duration('2s', 100),
    window: duration('30s', 1_000),
    leadTime: duration('30s'),
    minR2: z.number().min(0).max(1).default(0.8),
    latencyLimit: duration('1s', 1),
    errorRateLimit: z.number().gt(0).max(1).default(0.5),
  })
  .prefault({})

/** Baton's own recovery probes of an endpoint ejected for gateway errors, used when `active` is null. */
const recoverySchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    initialInterval: duration('500ms', 10),
    maxInterval: duration('5s', 10),
    path: z.string().startsWith('/', { error: 'path must start with "/"' }).nullable().default(null),
    passes: z.number().int().min(1).default(1),
  })
  .refine((r) => r.maxInterval >= r.initialInterval, { error: 'maxInterval must be at least initialInterval', path: ['maxInterval'] })
  .prefault({})

/** YAML of an upstream's `health:` block. */
export const healthSchema = z
  .strictObject({
    active: activeSchema,
    outlier: outlierSchema,
    slowStart: slowStartSchema,
    panicThreshold: z.number().min(0).max(1).default(0.5),
    forecast: forecastSchema,
    recovery: recoverySchema,
  })
  .prefault({})
