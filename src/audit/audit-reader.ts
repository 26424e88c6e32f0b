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
 * How far before `since` a line may be and still not end the scan, ms. Lines are written in time order but
 * for two overlaps: a successor's records, kept in memory until its predecessor hands the file over, follow
 * the predecessor's last ones (the hand-over waits at most 20 s), and a wall-clock step.
 */
const ORDER_SLACK_MS = 5 * 60_000

/**
 * Matching lines across the live file and its rotated predecessors, read newest file first and each from its
 * end, stopping at `limit` matches or at a line older than `since` by more than ORDER_SLACK_MS.
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
      const timeMs = Date.parse(line.time)
      if (timeMs < query.sinceMs - ORDER_SLACK_MS) return done(found, false)
      if (timeMs < query.sinceMs || (query.action !== null && line.action !== query.action)) continue
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
