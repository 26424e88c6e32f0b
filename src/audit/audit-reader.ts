import { asAuditLine, type AuditLine } from './audit-line.js'
import { readLines, trailFiles } from './audit-files.js'

export interface AuditQuery {
  /** Lines recorded at or after this wall-clock time, ms since the epoch; -Infinity for all. */
  readonly sinceMs: number
  /** Only this action; null for every action. */
  readonly action: string | null
  /** At most this many lines: the newest of those that match. */
  readonly limit: number
}

export interface AuditPage {
  /** Oldest first. */
  readonly records: AuditLine[]
  /** More lines matched than `limit`: raise `since` or the limit to see the older ones. */
  readonly truncated: boolean
}

/**
 * Matching lines across the live file and its rotated predecessors, read newest file first and each from its
 * end, stopping at `limit` matches or at the first line older than `since` (lines are written in time order).
 * A line that does not parse is skipped here; `baton audit verify` is where it is reported.
 */
export async function readAudit(file: string, keep: number, query: AuditQuery): Promise<AuditPage> {
  const files = (await trailFiles(file, keep)).reverse()
  const found: AuditLine[] = []
  for (const name of files) {
    const texts = await readLines(name).catch(() => [] as string[]) // rotated away meanwhile
    for (let k = texts.length - 1; k >= 0; k--) {
      const line = parse(texts[k])
      if (line === null) continue
      if (Date.parse(line.time) < query.sinceMs) return done(found, false)
      if (query.action !== null && line.action !== query.action) continue
      if (found.length === query.limit) return done(found, true)
      found.push(line)
    }
  }
  return done(found, false)
}

function done(newestFirst: AuditLine[], truncated: boolean): AuditPage {
  return { records: newestFirst.reverse(), truncated }
}

function parse(text: string): AuditLine | null {
  try {
    const line = asAuditLine(JSON.parse(text))
    return typeof line === 'string' ? null : line
  } catch {
    return null
  }
}
