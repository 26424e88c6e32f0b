import type { z } from 'zod'
import { healthSchema, retrySchema } from './schema-health.js'
import type { HealthConfig, RetryConfig } from './types.js'

/** YAML `retry:` (validated) → RetryConfig. */
export function buildRetry(r: z.output<typeof retrySchema>): RetryConfig {
  return {
    maxRetries: r.maxRetries,
    retryOnStatus: r.retryOnStatus,
    retryNonIdempotent: r.retryNonIdempotent,
    replayBufferBytes: r.replayBuffer,
    budgetFraction: r.budgetPercent / 100,
    budgetMinConcurrent: r.budgetMinConcurrent,
    perTryTimeoutMs: r.perTryTimeout,
    overallTimeoutMs: r.overallTimeout,
    hedge: { enabled: r.hedge.enabled, delayMs: r.hedge.delay, minDelayMs: r.hedge.minDelay, tailFactor: r.hedge.tailFactor, tailFloorMs: r.hedge.tailFloor },
  }
}

/** YAML `health:` (validated) → HealthConfig; percentages become fractions. */
export function buildHealth(h: z.output<typeof healthSchema>): HealthConfig {
  const a = h.active
  const o = h.outlier
  const f = h.forecast
  return {
    active:
      a === null
        ? null
        : {
            method: a.method,
            path: a.path,
            expectedStatusMin: a.expectedStatus.min,
            expectedStatusMax: a.expectedStatus.max,
            bodyContains: a.bodyContains,
            intervalMs: a.interval,
            jitterMs: a.jitter,
            unhealthyIntervalMs: a.unhealthyInterval,
            timeoutMs: a.timeout,
            rise: a.rise,
            fall: a.fall,
            initialState: a.initialState,
          },
    outlier: {
      enabled: o.enabled,
      consecutive5xx: o.consecutive5xx,
      consecutiveGatewayErrors: o.consecutiveGatewayErrors,
      intervalMs: o.interval,
      baseEjectionMs: o.baseEjectionTime,
      maxEjectionMs: o.maxEjectionTime,
      maxEjectionFraction: o.maxEjectionPercent / 100,
      successRateStdevFactor: o.successRateStdevFactor,
      successRateMinimumHosts: o.successRateMinimumHosts,
      successRateRequestVolume: o.successRateRequestVolume,
      failurePercentageThreshold: o.failurePercentageThreshold,
      failurePercentageMinimumHosts: o.failurePercentageMinimumHosts,
      latencyMultiple: o.latencyMultiple,
      latencyMinimumHosts: o.latencyMinimumHosts,
      latencyIntervals: o.latencyIntervals,
    },
    slowStart: { mode: h.slowStart.mode, responses: h.slowStart.responses, windowMs: h.slowStart.window, aggression: h.slowStart.aggression, minFraction: h.slowStart.minPercent / 100 },
    panicThreshold: h.panicThreshold,
    forecast: {
      enabled: f.enabled,
      intervalMs: f.interval,
      windowMs: f.window,
      leadTimeMs: f.leadTime,
      minR2: f.minR2,
      latencyLimitMs: f.latencyLimit,
      errorRateLimit: f.errorRateLimit,
    },
    recovery: {
      enabled: h.recovery.enabled,
      initialIntervalMs: h.recovery.initialInterval,
      maxIntervalMs: h.recovery.maxInterval,
      path: h.recovery.path,
      passes: h.recovery.passes,
    },
  }
}

/** The defaults, for configs built in code (tests, benchmarks) rather than read from YAML. */
export const DEFAULT_RETRY: RetryConfig = buildRetry(retrySchema.parse(undefined))
export const DEFAULT_HEALTH: HealthConfig = buildHealth(healthSchema.parse(undefined))
