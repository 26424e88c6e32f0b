import { describeValue } from './issue-messages.js'

/**
 * Durations and sizes as people write them in YAML. A bare number is milliseconds (durations) or bytes
 * (sizes); a string carries its unit: "250ms", "1.5s", "2m", "1h"; "512", "16KiB", "1MiB", "16kb".
 * Results are rounded to whole ms or bytes: Node's timers and http.Server options reject fractions.
 * Each parser returns the value, or a message saying what was wrong.
 */
const DURATION_UNITS_MS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }
const SIZE_UNITS_BYTES: Readonly<Record<string, number>> = {
  b: 1,
  kb: 1_000,
  mb: 1_000_000,
  gb: 1_000_000_000,
  kib: 1_024,
  mib: 1_048_576,
  gib: 1_073_741_824,
}

const QUANTITY = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/

export type Parsed = { ok: true; value: number } | { ok: false; message: string }

export function parseDuration(input: unknown): Parsed {
  return parseQuantity(input, DURATION_UNITS_MS, 'ms', 'a duration like 250ms, 5s, 2m or 1h')
}

export function parseSize(input: unknown): Parsed {
  return parseQuantity(input, SIZE_UNITS_BYTES, 'b', 'a size like 16384, 16KiB or 1MiB')
}

function parseQuantity(input: unknown, units: Readonly<Record<string, number>>, bare: string, expected: string): Parsed {
  if (typeof input === 'number') {
    return Number.isFinite(input) && input >= 0 ? { ok: true, value: Math.round(input) } : { ok: false, message: `expected ${expected}, got ${input}` }
  }
  if (typeof input !== 'string') return { ok: false, message: `expected ${expected}, got ${describeValue(input)}` }
  const match = QUANTITY.exec(input)
  const factor = match === null ? undefined : units[(match[2] || bare).toLowerCase()]
  if (match === null || factor === undefined) return { ok: false, message: `expected ${expected}, got "${input}"` }
  return { ok: true, value: Math.round(Number(match[1]) * factor) }
}
