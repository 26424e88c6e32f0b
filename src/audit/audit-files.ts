import { open, readFile, stat } from 'node:fs/promises'
import { asAuditLine, GENESIS, type ChainHead } from './audit-line.js'

/**
 * The files of one trail: `file` is written; rotation renames it `file.1`, the previous `file.1` becomes
 * `file.2`, and so on up to `file.<keep>` (the oldest). Oldest first is the order of the chain.
 */
export function rotatedName(file: string, n: number): string {
  return n === 0 ? file : `${file}.${n}`
}

/** The trail's files that exist, oldest first (file.keep … file.1, file). */
export async function trailFiles(file: string, keep: number): Promise<string[]> {
  const out: string[] = []
  for (let n = keep; n >= 0; n--) {
    const name = rotatedName(file, n)
    if (await exists(name)) out.push(name)
  }
  return out
}

/** Where a file's chain ends: its last complete line's head, and the byte length up to that line's end. */
export interface FileTail {
  readonly head: ChainHead | null
  /** Bytes up to and including the last newline; anything after it is a line a crash cut short. */
  readonly completeBytes: number
  readonly sizeBytes: number
}

/** Bytes read back from the end of a file looking for its last line: longer than any line Baton writes. */
const TAIL_CHUNK_BYTES = 64 * 1024

/**
 * The head of the last complete line of `file` (null when it has none or the file is missing), reading only
 * its end. A last line that does not parse as an audit line throws: continuing from it would chain onto a
 * line nobody can verify, so the operator must look (`baton audit verify`).
 */
export async function readTail(file: string): Promise<FileTail> {
  let handle
  try {
    handle = await open(file, 'r')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { head: null, completeBytes: 0, sizeBytes: 0 }
    throw err
  }
  try {
    const size = (await handle.stat()).size
    const start = Math.max(0, size - TAIL_CHUNK_BYTES)
    const buffer = Buffer.alloc(size - start)
    await handle.read(buffer, 0, buffer.length, start)
    const lastNewline = buffer.lastIndexOf(0x0a)
    const completeBytes = lastNewline === -1 ? (start === 0 ? 0 : size) : start + lastNewline + 1
    if (lastNewline === -1) return { head: null, completeBytes, sizeBytes: size }
    const before = buffer.lastIndexOf(0x0a, lastNewline - 1)
    const text = buffer.subarray(before + 1, lastNewline).toString('utf8')
    return { head: headOf(text, file), completeBytes, sizeBytes: size }
  } finally {
    await handle.close()
  }
}

/**
 * The chain head to continue from: the last line of the newest file that has one (the live file may be
 * empty just after a rotation), else GENESIS.
 */
export async function chainHead(file: string, keep: number): Promise<ChainHead> {
  for (let n = 0; n <= keep; n++) {
    const tail = await readTail(rotatedName(file, n))
    if (tail.head !== null) return tail.head
  }
  return GENESIS
}

/** Every line of a file, without the empty string after the final newline. */
export async function readLines(file: string): Promise<string[]> {
  const text = await readFile(file, 'utf8')
  const lines = text.split('\n')
  if (lines[lines.length - 1] === '') lines.pop()
  return lines
}

function headOf(text: string, file: string): ChainHead {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    throw new Error(`${file}: the last line is not JSON; run baton audit verify ${file}`)
  }
  const line = asAuditLine(parsed)
  if (typeof line === 'string') throw new Error(`${file}: the last line is not an audit line (${line}); run baton audit verify ${file}`)
  return { seq: line.seq, hash: line.hash }
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file)
    return true
  } catch {
    return false
  }
}
