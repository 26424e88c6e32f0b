import type { z } from 'zod'

/**
 * Plain-English messages for zod's built-in checks, passed to safeParse as its error map. A schema's own
 * message (e.g. "port must be between 0 and 65535") wins over these; these cover the checks that set none.
 */
export const issueMessages: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${article(issue.expected)}, got ${describeValue(issue.input)}`
    case 'too_small':
      return bound(issue.origin, 'least', issue.minimum, issue.inclusive, issue.input)
    case 'too_big':
      return bound(issue.origin, 'most', issue.maximum, issue.inclusive, issue.input)
    case 'invalid_value':
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`
    default:
      return undefined
  }
}

/** How a YAML value reads in a message: "null", "a list", "a mapping", or its JS type ("string", "number"). */
export function describeValue(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'a list'
  return typeof value === 'object' ? 'a mapping' : typeof value
}

/** zod names YAML's mappings and sequences "object" and "array". */
function article(expected: string): string {
  if (expected === 'object') return 'a mapping'
  return expected === 'array' ? 'a list' : expected
}

/** "must be at least 1, got 0", "must be less than 1, got 1", "needs at least 1 item", "must not be empty". */
function bound(origin: string, side: 'least' | 'most', limit: number | bigint, inclusive: boolean | undefined, input: unknown): string {
  if (origin === 'string' && side === 'least' && Number(limit) === 1) return 'must not be empty'
  if (origin === 'array') return `needs at ${side} ${limit} item${Number(limit) === 1 ? '' : 's'}`
  if (origin === 'string') return `needs at ${side} ${limit} characters`
  const relation = inclusive === false ? (side === 'least' ? 'greater than' : 'less than') : `at ${side}`
  return `must be ${relation} ${limit}, got ${String(input)}`
}
