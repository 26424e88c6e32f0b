import { asAuditLine, GENESIS_HASH, lineHash, type ChainHead } from './audit-line.js'
import { readLines } from './audit-files.js'

/** The first line that breaks the chain: where (file, 1-based line) and why. */
export interface ChainBreak {
  readonly file: string
  readonly line: number
  readonly reason: 'bad-json' | 'not-audit-line' | 'edited' | 'missing' | 'reordered' | 'replaced' | 'bad-start'
  readonly message: string
}

export interface VerifyResult {
  /** Lines checked (up to the break, when there is one). */
  readonly lines: number
  /** The first line's seq − 1 when the files start in the middle of a chain (older files rotated away), else 0. */
  readonly continuesFrom: number
  /** The last good line's head: anchor its hash elsewhere to make the tail tamper-evident too. */
  readonly head: ChainHead | null
  readonly broken: ChainBreak | null
}

/**
 * Checks the files as one chain, oldest first (file.5 … file.1, file). Each line must parse, carry its own
 * hash, and name the previous line's hash as `prev` with the next seq. The first line may start in the middle
 * of a chain (its predecessors rotated away: `continuesFrom`), but seq 1 must chain to GENESIS_HASH.
 */
export async function verifyFiles(files: readonly string[]): Promise<VerifyResult> {
  let head: ChainHead | null = null
  let continuesFrom = 0
  let lines = 0
  for (const file of files) {
    const texts = await readLines(file)
    for (let k = 0; k < texts.length; k++) {
      const at = (reason: ChainBreak['reason'], message: string): VerifyResult => ({
        lines,
        continuesFrom,
        head,
        broken: { file, line: k + 1, reason, message },
      })
      let parsed: unknown
      try {
        parsed = JSON.parse(texts[k])
      } catch {
        return at('bad-json', texts[k] === '' ? 'an empty line' : 'not JSON')
      }
      const line = asAuditLine(parsed)
      if (typeof line === 'string') return at('not-audit-line', line)
      if (lineHash(parsed as Record<string, unknown>) !== line.hash) return at('edited', `line seq ${line.seq} was changed after it was written: its hash does not match its content`)
      if (head === null) {
        if (line.seq === 1 && line.prev !== GENESIS_HASH) return at('bad-start', 'seq 1 does not chain to the genesis hash')
        continuesFrom = line.seq - 1
      } else {
        const problem = linkProblem(head, line.seq, line.prev)
        if (problem !== null) return at(problem[0], problem[1])
      }
      head = { seq: line.seq, hash: line.hash }
      lines++
    }
  }
  return { lines, continuesFrom, head, broken: null }
}

/** Why a line does not follow `head`, or null when it does. */
function linkProblem(head: ChainHead, seq: number, prev: string): [ChainBreak['reason'], string] | null {
  if (seq === head.seq + 1 && prev === head.hash) return null
  if (seq > head.seq + 1) return ['missing', `seq ${head.seq + 1}${seq - 1 > head.seq + 1 ? `..${seq - 1}` : ''} missing before seq ${seq} (lines or a file removed)`]
  if (seq <= head.seq) return ['reordered', `seq ${seq} follows seq ${head.seq} (lines reordered or duplicated)`]
  return ['replaced', `seq ${seq} does not chain to the line before it (that line was replaced or rewritten)`]
}

/** One line for people: "N lines, chain intact" or where and why it broke. */
export function describeVerify(result: VerifyResult): string {
  if (result.broken !== null) {
    const b = result.broken
    return `${b.file}:${b.line}: chain broken (${b.reason}): ${b.message}; ${result.lines} line(s) before it intact`
  }
  const from = result.continuesFrom > 0 ? ` (continuing from seq ${result.continuesFrom}, in an older file)` : ''
  const head = result.head === null ? '' : `; last seq ${result.head.seq}, hash ${result.head.hash}`
  return `${result.lines} line${result.lines === 1 ? '' : 's'}, chain intact${from}${head}`
}
