import { z } from 'zod'
import { duration } from './schema-units.js'

/** Samples needed before a detector alarms, and counts of samples: whole numbers ≥ 1. */
const count = (fallback: number) => z.number({ error: 'expected a whole number' }).int({ error: 'expected a whole number' }).min(1, { error: 'must be at least 1' }).default(fallback)

/**
 * `anomaly:`: the detector of request-rate surges and drops, p99 spikes and 5xx bursts per upstream and per
 * route (src/anomaly/, README "Anomaly detection"). Read at start; a reload keeps the running settings.
 */
export const anomalySchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    /** One sample per series this often. */
    interval: duration('1s', 10),
    /** Each sample summarises this much recent traffic (a whole number of intervals). */
    window: duration('10s', 10),
    /** Time constant of the baseline's EWMA. */
    baseline: duration('5m', 10),
    /** Learning only, no alarm, for this long after start (and after a new normal was accepted). */
    warmup: duration('2m', 0),
    enterAfter: count(3),
    exitAfter: count(5),
    /** An anomaly lasting this long is the new normal: it ends and the baseline restarts from there. */
    relearnAfter: duration('10m', 10),
    /** Band half-width in σ-equivalents of the baseline's spread. */
    bandWidth: z.number({ error: 'expected a number' }).min(1, { error: 'bandWidth must be at least 1' }).max(20, { error: 'bandWidth must be at most 20' }).default(4),
  })
  .superRefine((a, ctx) => {
    if (a.window < a.interval) ctx.addIssue({ code: 'custom', path: ['window'], message: `window (${a.window} ms) must be at least the interval (${a.interval} ms)` })
  })
