import { createHash } from 'node:crypto'
import type { AuditRecord } from './audit-entry.js'
import { canonicalJson } from './canonical-json.js'

/**
 * One line of the audit file. `seq` counts lines from 1 across rotations and restarts; `prev` is the `hash`
 * of the line before (GENESIS_HASH for line 1); `hash` is SHA-256 (hex) of the canonical JSON
 * (canonical-json.ts) of every other field. Editing a line breaks its own hash; removing, inserting or
 * reordering lines breaks the next line's `prev`; rewriting the whole tail consistently is what the chain
 * cannot see (anchor the latest hash elsewhere for that).
 */
export interface AuditLine extends AuditRecord {
  readonly seq: number
  /** ISO 8601, UTC, ms precision. */
  readonly time: string
  readonly prev: string
  readonly hash: string
}

/** The `prev` of the first line ever: 64 zeros (no line before it). */
export const GENESIS_HASH = '0'.repeat(64)

/** Where a chain stands: the last line's seq and hash (0 and GENESIS_HASH before the first). */
export interface ChainHead {
  readonly seq: number
  readonly hash: string
}

export const GENESIS: ChainHead = { seq: 0, hash: GENESIS_HASH }

/** A sealed line: its text (no newline) and the head it makes. */
export interface SealedLine {
  readonly text: string
  readonly head: ChainHead
}

/** The record as line `head.seq + 1`, chained to `head`, recorded at `timeMs` (wall clock). */
export function sealLine(record: AuditRecord, timeMs: number, head: ChainHead): SealedLine {
  const body = {
    seq: head.seq + 1,
    time: new Date(timeMs).toISOString(),
    actor: record.actor,
    action: record.action,
    target: record.target,
    before: record.before ?? null,
    after: record.after ?? null,
    reason: record.reason,
    data: record.data,
    prev: head.hash,
  }
  const canonical = canonicalJson(body)
  const hash = sha256(canonical)
  // The hash goes last, outside the sorted fields it covers, so a reader sees what is hashed and the hash apart.
  return { text: `${canonical.slice(0, -1)},"hash":"${hash}"}`, head: { seq: body.seq, hash } }
}

/** SHA-256 of a parsed line's fields other than `hash`: what its `hash` must be. */
export function lineHash(line: Readonly<Record<string, unknown>>): string {
  const { hash: _hash, ...body } = line
  return sha256(canonicalJson(body))
}

const HEX64 = /^[0-9a-f]{64}$/

/** The parsed value as an audit line, or a reason it is not one. */
export function asAuditLine(value: unknown): AuditLine | string {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not a JSON object'
  const v = value as Record<string, unknown>
  if (!Number.isSafeInteger(v.seq) || (v.seq as number) < 1) return 'no valid seq'
  if (typeof v.hash !== 'string' || !HEX64.test(v.hash)) return 'no valid hash'
  if (typeof v.prev !== 'string' || !HEX64.test(v.prev)) return 'no valid prev'
  for (const key of ['time', 'actor', 'action', 'target', 'reason']) {
    if (typeof v[key] !== 'string') return `no ${key}`
  }
  return v as unknown as AuditLine
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex')
}
