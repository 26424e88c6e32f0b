import { anomalySchema } from './schema-anomaly.js'
import type { AnomalyConfig } from './types.js'
import type { z } from 'zod'

/** The built `anomaly:` section: durations in ms, the window as a whole number of intervals (at least 1). */
export function buildAnomaly(raw: z.output<typeof anomalySchema>): AnomalyConfig {
  return {
    enabled: raw.enabled,
    intervalMs: raw.interval,
    windowSamples: Math.max(1, Math.round(raw.window / raw.interval)),
    baselineMs: raw.baseline,
    warmupMs: raw.warmup,
    enterAfter: raw.enterAfter,
    exitAfter: raw.exitAfter,
    relearnAfterMs: raw.relearnAfter,
    bandWidth: raw.bandWidth,
  }
}

/** What a config without `anomaly:` gets. */
export const DEFAULT_ANOMALY: AnomalyConfig = buildAnomaly(anomalySchema.parse({}))
