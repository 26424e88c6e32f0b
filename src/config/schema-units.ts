import { z } from 'zod'
import { parseDuration, parseSize, type Parsed } from './units.js'

/** Longest delay Node's timers accept, ms (2^31 − 1, about 24.8 days); a longer one fires at once. */
const MAX_TIMER_MS = 2_147_483_647

interface Bounds {
  readonly min: number
  readonly max: number
  /** Unit named in range messages. */
  readonly unit: string
}

/**
 * A zod type for a duration (→ ms) or size (→ bytes) as units.ts parses it, within bounds. Without a
 * fallback the key is required; its absence is an invalid_type issue, which load.ts reports as a missing key.
 */
function quantity(parse: (v: unknown) => Parsed, fallback: string | undefined, bounds: Bounds) {
  return z.unknown().optional().transform((raw, ctx) => {
    if (raw === undefined && fallback === undefined) {
      ctx.addIssue({ code: 'invalid_type', expected: 'number', input: raw })
      return z.NEVER
    }
    const parsed = parse(raw === undefined ? fallback : raw)
    if (!parsed.ok) return fail(ctx, parsed.message)
    const problem = rangeProblem(parsed.value, bounds)
    return problem === null ? parsed.value : fail(ctx, problem)
  })
}

function fail(ctx: z.core.$RefinementCtx, message: string): never {
  ctx.addIssue({ code: 'custom', message })
  return z.NEVER
}

function rangeProblem(value: number, { min, max, unit }: Bounds): string | null {
  if (value < min) return `must be at least ${min} ${unit}, got ${value} ${unit}`
  if (value > max) return `must be at most ${max} ${unit}, got ${value} ${unit}`
  return null
}

/** A duration in ms from `min` up to the longest timer; `fallback` (e.g. "5s") when absent. */
export const duration = (fallback: string, min = 0) => quantity(parseDuration, fallback, { min, max: MAX_TIMER_MS, unit: 'ms' })
/** A duration the file must give. */
export const requiredDuration = () => quantity(parseDuration, undefined, { min: 0, max: MAX_TIMER_MS, unit: 'ms' })
/** A size in bytes; `fallback` (e.g. "16KiB") when absent. */
export const size = (fallback: string) => quantity(parseSize, fallback, { min: 0, max: Number.MAX_SAFE_INTEGER, unit: 'bytes' })
/** A size the file must give (wrap in .optional() for an override that may be absent). */
export const requiredSize = () => quantity(parseSize, undefined, { min: 0, max: Number.MAX_SAFE_INTEGER, unit: 'bytes' })
