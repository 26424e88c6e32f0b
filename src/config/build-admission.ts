import type { z } from 'zod'
import { overloadSchema } from './schema-admission.js'
import type { OverloadConfig } from './types.js'

/** The YAML `overload:` block in the snapshot's units (ms, fractions, seconds for Retry-After). */
export function buildOverload(o: z.output<typeof overloadSchema>): OverloadConfig {
  const c = o.concurrency
  return {
    concurrency: c.enabled
      ? {
          initialLimit: c.initialLimit,
          minLimit: c.minLimit,
          maxLimit: c.maxLimit,
          smoothing: c.smoothingPercent / 100,
          tolerance: c.tolerance,
          longWindow: c.longWindow,
          windowMs: c.window,
          minWindowSamples: c.minWindowSamples,
        }
      : null,
    queue: { timeoutMs: o.queue.timeout, targetMs: o.queue.target, intervalMs: o.queue.interval },
    breakers: o.breakers,
    retryAfterSec: Math.round(o.retryAfter / 1000),
  }
}

/** What an upstream without `overload:` gets (also for configs built in code). */
export const DEFAULT_OVERLOAD: OverloadConfig = buildOverload(overloadSchema.parse(undefined))
