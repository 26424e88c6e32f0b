import type { z } from 'zod'
import { loadReportSchema, scalingSchema } from './schema-scaling.js'
import type { LoadReportConfig, ScalingConfig } from './types.js'

/** YAML `scaling:` (validated) → ScalingConfig; `secret` is the webhook's key read at load (null without a webhook). */
export function buildScaling(s: z.output<typeof scalingSchema>, secret: string | null): ScalingConfig {
  const w = s.webhook
  const webhook =
    w === null || secret === null
      ? null
      : { url: w.url, timeoutMs: w.timeout, attempts: w.attempts, initialBackoffMs: w.initialBackoff, maxBackoffMs: w.maxBackoff }
  // Non-enumerable, as TLS keys are: a printed or logged config never shows it.
  if (webhook !== null) Object.defineProperty(webhook, 'secret', { value: secret, enumerable: false })
  return {
    enabled: s.enabled,
    targetP99Ms: s.targetP99,
    horizonMs: s.horizon,
    headroomFraction: s.headroomPercent / 100,
    toleranceFraction: s.tolerancePercent / 100,
    scaleDownWindowMs: s.scaleDownWindow,
    minEndpoints: s.minEndpoints,
    webhook: webhook as ScalingConfig['webhook'],
    command: s.command,
    commandTimeoutMs: s.commandTimeout,
  }
}

/** YAML `loadReport:` → LoadReportConfig (the header name lower-cased, as the response header pass compares it). */
export function buildLoadReport(l: z.output<typeof loadReportSchema>): LoadReportConfig | null {
  return l === null ? null : { header: l.header.toLowerCase(), format: l.format, metric: l.metric, weight: l.weight }
}

/** The defaults, for configs built in code (tests, benchmarks) rather than read from YAML. */
export const DEFAULT_SCALING: ScalingConfig = buildScaling(scalingSchema.parse(undefined), null)
