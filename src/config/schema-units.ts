import { z } from 'zod'
import { parseDuration, parseSize, type Parsed } from './units.js'

/** zod types for durations (→ ms) and sizes (→ bytes) with a default and a minimum, as units.ts parses them. */
function quantity(parse: (v: unknown) => Parsed, fallback: string | number, min = 0) {
  return z.unknown().optional().transform((raw, ctx) => {
    const parsed = parse(raw === undefined ? fallback : raw)
    if (!parsed.ok) {
      ctx.addIssue({ code: 'custom', message: parsed.message })
      return z.NEVER
    }
    if (parsed.value < min) {
      ctx.addIssue({ code: 'custom', message: `must be at least ${min} ms, got ${parsed.value} ms` })
      return z.NEVER
    }
    return parsed.value
  })
}

export const duration = (fallback: string, min = 0) => quantity(parseDuration, fallback, min)
export const size = (fallback: string) => quantity(parseSize, fallback)

