import { mkdir, open, rename, rm, truncate, type FileHandle } from 'node:fs/promises'
import { dirname } from 'node:path'
import type { AuditRecord } from './audit-entry.js'
import { chainHead, readTail, rotatedName } from './audit-files.js'
import { GENESIS, sealLine, type ChainHead, type SealedLine } from './audit-line.js'
import { readAudit, type AuditPage, type AuditQuery } from './audit-reader.js'
import type { AuditStats, AuditTrail } from './audit-trail.js'
import { syncDirectory } from '../util/sync-directory.js'

/**
 * Lines sealed (canonical JSON and SHA-256, ~40 µs each) before the flush yields to the event loop: a storm
 * of 10 000 records must not hold the proxy for 0.4 s at once; 256 is about 10 ms.
 */
const SEAL_BATCH = 256

/** Runs `run` every `ms`; Node's setInterval, unref'd, in production; driven by hand in tests. */
export interface IntervalTimer {
  every(ms: number, run: () => void): { cancel(): void }
}

export const nodeIntervalTimer: IntervalTimer = {
  every(ms, run) {
    const handle = setInterval(run, ms)
    handle.unref() // the trail never keeps the process alive; shutdown flushes it explicitly
    return { cancel: () => clearInterval(handle) }
  },
}

export interface AuditLogOptions {
  readonly file: string
  /** How often buffered records are written and fsynced, ms: at most this much is lost in a crash. */
  readonly flushIntervalMs: number
  /** The live file is rotated before a line would take it over this size, bytes. */
  readonly maxSizeBytes: number
  /** Rotated files kept (file.1 … file.keep); the oldest beyond them is deleted. */
  readonly keep: number
  /** Records buffered between flushes at most; more are dropped and counted. Default 10 000. */
  readonly maxPending?: number
  /** Wall clock, ms since the epoch: each line's time. */
  readonly wallClock: () => number
  readonly timer?: IntervalTimer
  /**
   * Told about write failures ('error') and records that cannot be written: 'info' for those after a
   * hand-over (expected while the old process drains), 'warn' otherwise. The runtime logs them.
   */
  readonly onProblem?: (level: 'info' | 'warn' | 'error', message: string, detail: Readonly<Record<string, unknown>>) => void
}

/**
 * A record with its time; sealed (seq, prev, hash) only when written, so record() does nothing but push and
 * the chain follows the order lines reach the file.
 */
interface Pending {
  readonly record: AuditRecord
  readonly timeMs: number
}

interface Unwritten extends Pending {
  sealed: SealedLine
}

/**
 * Records buffered in memory, written in order, fsynced on a timer, rotated by size. Off the hot path:
 * record() pushes to an array (events are state changes, not requests); hashing and I/O run on the timer.
 *
 * A full buffer (maxPending records, a disk that stopped answering) drops new records rather than blocking:
 * record() is called from the proxy's own event loop, and an audit trail must not stall the proxy. The
 * oldest are kept (the start of a storm explains it), and the loss is itself a line of the chain
 * ('audit-lost', with the count per action) written as soon as the writer catches up.
 *
 * A failed write is counted, reported, and retried at the next flush from what the disk actually holds:
 * the file is reopened, a line a crash cut short is truncated away ('audit-recovered'), and lines already
 * on disk are not written twice. Nothing is thrown into callers.
 */
export class AuditLog implements AuditTrail {
  readonly file: string
  private readonly options: AuditLogOptions
  private readonly maxPending: number
  private state: 'waiting' | 'open' | 'handed-over' | 'closed' = 'waiting'
  private pending: Pending[] = []
  /** Sealed but not yet known to be on disk (a write failed): written first at the next flush. */
  private unwritten: Unwritten[] = []
  private head: ChainHead = GENESIS
  private handle: FileHandle | null = null
  private sizeBytes = 0
  /** Records dropped since the last 'audit-lost' line, by action. */
  private lost = new Map<string, number>()
  private counts = { written: 0, writeErrors: 0, dropped: 0 }
  /** Flushes (and open, hand-over, close) run one at a time, in order. */
  private queue: Promise<void> = Promise.resolve()
  private ticker: { cancel(): void } | null = null
  /** A timed flush is queued: the next tick does not queue another behind a disk that hangs. */
  private tickQueued = false

  constructor(options: AuditLogOptions) {
    this.file = options.file
    this.options = options
    this.maxPending = options.maxPending ?? 10_000
  }

  record(entry: AuditRecord): void {
    if (this.state === 'handed-over' || this.state === 'closed') {
      this.counts.dropped++
      // After a hand-over the successor owns the file: the record survives in the process log at least.
      if (this.state === 'handed-over') this.problem('info', 'audit record after the hand-over (the successor writes the trail): in this log only', { record: entry })
      return
    }
    if (this.pending.length + this.unwritten.length >= this.maxPending) {
      this.counts.dropped++
      this.lost.set(entry.action, (this.lost.get(entry.action) ?? 0) + 1)
      return
    }
    this.pending.push({ record: entry, timeMs: this.options.wallClock() })
  }

  open(): Promise<void> {
    return this.serialised(async () => {
      if (this.state !== 'waiting') return
      await this.reopen()
      this.state = 'open'
      this.ticker = (this.options.timer ?? nodeIntervalTimer).every(this.options.flushIntervalMs, () => this.tick())
    })
  }

  flush(): Promise<void> {
    return this.serialised(() => this.writeOut())
  }

  handOver(): Promise<void> {
    return this.serialised(async () => {
      await this.writeAll()
      await this.release('handed-over')
    })
  }

  close(): Promise<void> {
    return this.serialised(async () => {
      await this.writeAll()
      if (this.state === 'waiting' && this.pending.length > 0) this.problem('warn', 'audit trail closed before it opened: records not written', { records: this.pending.length })
      await this.release('closed')
    })
  }

  async read(query: AuditQuery): Promise<AuditPage> {
    await this.flush()
    return readAudit(this.file, this.options.keep, query)
  }

  stats(): AuditStats {
    return { ...this.counts }
  }

  private tick(): void {
    if (this.tickQueued) return
    this.tickQueued = true
    void this.flush().finally(() => (this.tickQueued = false))
  }

  private serialised(run: () => Promise<void>): Promise<void> {
    const next = this.queue.then(run)
    this.queue = next.catch(() => undefined)
    return next
  }

  private async release(state: 'handed-over' | 'closed'): Promise<void> {
    this.ticker?.cancel()
    this.ticker = null
    if (this.state === 'closed') return
    this.state = state
    const handle = this.handle
    this.handle = null
    await handle?.close().catch(() => undefined)
  }

  /**
   * Opens the live file for appending where its chain ends (the rotated files count: the live one may be
   * empty), truncating a line a crash cut short. Throws when the file cannot be opened or its last line
   * is not an audit line.
   */
  private async reopen(): Promise<void> {
    const { file, keep } = this.options
    await mkdir(dirname(file), { recursive: true })
    const tail = await readTail(file)
    if (tail.completeBytes < tail.sizeBytes) {
      await truncate(file, tail.completeBytes)
      const torn = tail.sizeBytes - tail.completeBytes
      this.pending.unshift({
        record: { actor: 'baton', action: 'audit-recovered', target: '', before: null, after: null, reason: `removed ${torn} bytes of a line cut short (a crash during a write)`, data: { bytes: torn } },
        timeMs: this.options.wallClock(),
      })
    }
    const head = tail.head ?? (await chainHead(file, keep))
    this.handle = await open(file, 'a')
    this.sizeBytes = tail.completeBytes
    this.reconcile(head)
  }

  /** After reopening at `head`: drops what already reached the disk, re-chains the rest onto what is there. */
  private reconcile(head: ChainHead): void {
    const onDisk = this.unwritten.findIndex((u) => u.sealed.head.seq === head.seq && u.sealed.head.hash === head.hash)
    if (onDisk !== -1) {
      this.counts.written += onDisk + 1
      this.unwritten = this.unwritten.slice(onDisk + 1)
    }
    this.head = head
    let chain = head
    for (const u of this.unwritten) {
      u.sealed = sealLine(u.record, u.timeMs, chain)
      chain = u.sealed.head
    }
  }

  /** writeOut until nothing waits (records may arrive while it yields), a few rounds at most. */
  private async writeAll(): Promise<void> {
    for (let round = 0; round < 4 && this.state === 'open'; round++) {
      await this.writeOut()
      if (this.pending.length === 0 && this.unwritten.length === 0) return
    }
  }

  /** Seals what is pending and writes everything not yet on disk, rotating on the way; fsyncs once. */
  private async writeOut(): Promise<void> {
    if (this.state !== 'open') return
    this.noteLoss()
    if (this.pending.length === 0 && this.unwritten.length === 0) return
    let chain = this.unwritten.length === 0 ? this.head : this.unwritten[this.unwritten.length - 1].sealed.head
    // Records pushed while this yields wait for the next flush.
    const batch = this.pending
    this.pending = []
    for (let k = 0; k < batch.length; k++) {
      const sealed = sealLine(batch[k].record, batch[k].timeMs, chain)
      this.unwritten.push({ ...batch[k], sealed })
      chain = sealed.head
      if (k % SEAL_BATCH === SEAL_BATCH - 1) await new Promise((resolve) => setImmediate(resolve))
    }
    try {
      if (this.handle === null) await this.reopen()
      await this.writeUnwritten()
    } catch (err) {
      this.counts.writeErrors++
      this.problem('error', 'audit write failed: retrying at the next flush', { file: this.file, err: String(err) })
      const handle = this.handle
      this.handle = null
      await handle?.close().catch(() => undefined)
    }
  }

  private async writeUnwritten(): Promise<void> {
    let chunk: string[] = []
    let chunkBytes = 0
    let done = 0
    const commit = async (): Promise<void> => {
      if (chunk.length === 0) return
      await this.handle!.write(chunk.join(''))
      await this.handle!.sync()
      this.sizeBytes += chunkBytes
      this.head = this.unwritten[done + chunk.length - 1].sealed.head
      done += chunk.length
      this.counts.written += chunk.length
      chunk = []
      chunkBytes = 0
    }
    for (const u of this.unwritten) {
      const text = `${u.sealed.text}\n`
      const bytes = Buffer.byteLength(text)
      if (this.sizeBytes + chunkBytes > 0 && this.sizeBytes + chunkBytes + bytes > this.options.maxSizeBytes) {
        try {
          await commit()
        } finally {
          this.unwritten = this.unwritten.slice(done)
          done = 0
        }
        await this.rotate()
      }
      chunk.push(text)
      chunkBytes += bytes
    }
    try {
      await commit()
    } finally {
      this.unwritten = this.unwritten.slice(done)
    }
  }

  /**
   * file → file.1 → … → file.keep (the oldest deleted), then a fresh file whose first line chains to the
   * last line of file.1: the chain runs on across files, so a removed file shows as missing seqs.
   */
  private async rotate(): Promise<void> {
    const { file, keep } = this.options
    await this.handle!.close()
    this.handle = null
    if (keep === 0) await rm(file, { force: true })
    else {
      await rm(rotatedName(file, keep), { force: true })
      for (let n = keep - 1; n >= 1; n--) await rename(rotatedName(file, n), rotatedName(file, n + 1)).catch(ignoreMissing)
      await rename(file, rotatedName(file, 1))
    }
    await syncDirectory(dirname(file))
    this.handle = await open(file, 'a')
    this.sizeBytes = 0
  }

  /** Records dropped because the buffer was full become one line, at the end of what is pending. */
  private noteLoss(): void {
    if (this.lost.size === 0) return
    const byAction = Object.fromEntries(this.lost)
    const total = [...this.lost.values()].reduce((a, b) => a + b, 0)
    this.lost = new Map()
    this.pending.push({
      record: { actor: 'baton', action: 'audit-lost', target: '', before: null, after: null, reason: `${total} record(s) dropped: more than ${this.maxPending} waited for the disk`, data: byAction },
      timeMs: this.options.wallClock(),
    })
  }

  private problem(level: 'info' | 'warn' | 'error', message: string, detail: Readonly<Record<string, unknown>>): void {
    this.options.onProblem?.(level, message, detail)
  }
}

function ignoreMissing(err: unknown): void {
  if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
}
