import { z } from 'zod'
import { duration } from './schema-units.js'

/** A whole number in [min, max] with a message naming both. */
function count(key: string, min: number, max: number, fallback: number) {
  const message = `${key} must be a whole number between ${min} and ${max}`
  return z.number({ error: message }).int({ error: message }).min(min, { error: message }).max(max, { error: message }).default(fallback)
}

/** YAML of an upstream's `overload:` block (types.ts OverloadConfig has the meaning of each key and why each default). */
export const overloadSchema = z
  .strictObject({
    concurrency: z
      .strictObject({
        enabled: z.boolean().default(true),
        initialLimit: count('initialLimit', 1, 100_000, 100),
        minLimit: count('minLimit', 1, 100_000, 10),
        maxLimit: count('maxLimit', 1, 100_000, 1000),
        smoothingPercent: z.number().gt(0, { error: 'smoothingPercent must be in (0, 100]' }).max(100, { error: 'smoothingPercent must be in (0, 100]' }).default(20),
        tolerance: z.number().min(1, { error: 'tolerance must be between 1 and 10' }).max(10, { error: 'tolerance must be between 1 and 10' }).default(1.5),
        longWindow: count('longWindow', 1, 100_000, 600),
        window: duration('100ms', 1),
        minWindowSamples: count('minWindowSamples', 1, 100_000, 10),
      })
      .refine((c) => c.minLimit <= c.initialLimit && c.initialLimit <= c.maxLimit, { error: 'concurrency needs minLimit ≤ initialLimit ≤ maxLimit' })
      .prefault({}),
    queue: z.strictObject({ timeout: duration('100ms'), target: duration('5ms', 1), interval: duration('100ms', 1) }).prefault({}),
    breakers: z
      .strictObject({
        maxConnections: count('maxConnections', 1, 1_000_000, 1024),
        maxPending: count('maxPending', 0, 1_000_000, 1024),
        maxRequests: count('maxRequests', 1, 1_000_000, 1024),
        maxRetries: count('maxRetries', 0, 1_000_000, 1024),
        maxEndpointRequests: count('maxEndpointRequests', 1, 1_000_000, 1024),
      })
      .prefault({}),
    retryAfter: duration('1s', 1000),
  })
  .prefault({})

/** Priority classes, most important first: a class's number (overload/priority.ts) is its index here. */
export const PRIORITY_LEVELS = ['high', 'normal', 'low'] as const

/** A route's `priority:` (its requests' class unless a trusted proxy's x-baton-priority says otherwise). */
export const prioritySchema = z.enum(PRIORITY_LEVELS, { error: 'priority must be high, normal or low' }).default('normal')
