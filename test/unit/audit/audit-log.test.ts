import { appendFile, readFile, readdir, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import t from 'tap'
import type { AuditRecord } from '../../../src/audit/audit-entry.js'
import { readLines } from '../../../src/audit/audit-files.js'
import { GENESIS_HASH } from '../../../src/audit/audit-line.js'
import { AuditLog, type AuditLogOptions } from '../../../src/audit/audit-log.js'
import { verifyFiles } from '../../../src/audit/audit-verify.js'
import { ManualClock } from '../../../src/util/clock.js'
import { ManualTimer } from './manual-timer.js'

const START_MS = Date.UTC(2026, 11, 1, 12, 0, 0)

function entry(n: number, action = 'ejected'): AuditRecord {
  return { actor: 'baton', action, target: `api/10.0.0.${n}:80`, before: 'serving', after: 'ejected', reason: `case ${n}`, data: { n } }
}

function setup(dir: string, overrides: Partial<AuditLogOptions> = {}) {
  const clock = new ManualClock(START_MS)
  const timer = new ManualTimer()
  const problems: string[] = []
  const log = new AuditLog({
    file: join(dir, 'audit.log'),
    flushIntervalMs: 1_000,
    maxSizeBytes: 10 * 1_048_576,
    keep: 5,
    wallClock: () => clock.now(),
    timer,
    onProblem: (_level, message) => problems.push(message),
    ...overrides,
  })
  return { log, clock, timer, problems, file: join(dir, 'audit.log') }
}

/** Lets the flush a timer tick queued run to its end. */
async function settle(log: AuditLog): Promise<void> {
  await log.flush()
}

t.test('record() only buffers; the interval timer writes, fsyncs and chains the lines', async (t) => {
  const { log, timer, clock, file } = setup(t.testdir())
  await log.open()
  t.equal(timer.intervalMs, 1_000, 'the flush interval is the timer period')
  log.record(entry(1))
  clock.advance(5)
  log.record(entry(2))
  t.same(await readLines(file), [], 'nothing on disk before the timer fires')
  timer.fire()
  await settle(log)
  const lines = (await readLines(file)).map((l) => JSON.parse(l))
  t.equal(lines.length, 2)
  t.same(lines.map((l) => l.seq), [1, 2])
  t.equal(lines[0].prev, GENESIS_HASH, 'line 1 chains to the genesis hash')
  t.equal(lines[1].prev, lines[0].hash, 'line 2 names the hash of line 1')
  t.equal(lines[1].time, new Date(START_MS + 5).toISOString(), 'the time of record(), not of the flush')
  t.match(lines[0], { actor: 'baton', action: 'ejected', target: 'api/10.0.0.1:80', before: 'serving', after: 'ejected', reason: 'case 1', data: { n: 1 } })
  t.equal(log.stats().written, 2)
  await log.close()
  t.equal(timer.armed, 0, 'close stops the timer')
})

t.test('reopening continues the chain from the last line on disk', async (t) => {
  const dir = t.testdir()
  const first = setup(dir)
  await first.log.open()
  first.log.record(entry(1))
  first.log.record(entry(2))
  await first.log.close()
  const second = setup(dir)
  await second.log.open()
  second.log.record(entry(3))
  await second.log.close()
  const lines = (await readLines(second.file)).map((l) => JSON.parse(l))
  t.same(lines.map((l) => l.seq), [1, 2, 3])
  t.equal(lines[2].prev, lines[1].hash)
  t.same((await verifyFiles([second.file])).broken, null, 'the whole file verifies')
})

t.test('a line cut short by a crash is truncated away and the repair is itself a line', async (t) => {
  const dir = t.testdir()
  const first = setup(dir)
  await first.log.open()
  first.log.record(entry(1))
  await first.log.close()
  await appendFile(first.file, '{"seq":2,"time":"2026-12-01T12:')
  const second = setup(dir)
  await second.log.open()
  second.log.record(entry(2))
  await second.log.close()
  const lines = (await readLines(second.file)).map((l) => JSON.parse(l))
  t.same(lines.map((l) => [l.seq, l.action]), [[1, 'ejected'], [2, 'audit-recovered'], [3, 'ejected']])
  t.match(lines[1].reason, /removed 31 bytes/)
  t.equal((await verifyFiles([second.file])).broken, null)
})

t.test('rotation by size keeps `keep` files and the chain runs on across them', async (t) => {
  const dir = t.testdir()
  const { log, file } = setup(dir, { maxSizeBytes: 1_000, keep: 2 })
  await log.open()
  for (let n = 1; n <= 30; n++) {
    log.record(entry(n))
    if (n % 3 === 0) await log.flush()
  }
  await log.close()
  const names = (await readdir(dir)).sort()
  t.same(names, ['audit.log', 'audit.log.1', 'audit.log.2'], 'the live file and two rotated ones; older ones deleted')
  for (const name of names) t.ok((await readFile(join(dir, name))).length <= 1_000, `${name} within maxSize`)
  const older = (await readLines(`${file}.1`)).map((l) => JSON.parse(l))
  const live = (await readLines(file)).map((l) => JSON.parse(l))
  t.equal(live[0].prev, older[older.length - 1].hash, 'the first line of a file names the last hash of the one before')
  t.equal(live[live.length - 1].seq, 30)
  const result = await verifyFiles([`${file}.2`, `${file}.1`, file])
  t.equal(result.broken, null)
  t.ok(result.continuesFrom > 0, 'the oldest kept file starts mid-chain: its predecessors were rotated away')
  const gap = await verifyFiles([`${file}.2`, file])
  t.equal(gap.broken?.reason, 'missing', 'a removed file shows as missing lines')
})

t.test('a full buffer drops new records and says so in the chain', async (t) => {
  const { log, file } = setup(t.testdir(), { maxPending: 3 })
  await log.open()
  for (let n = 1; n <= 5; n++) log.record(entry(n, n <= 4 ? 'ejected' : 'drain'))
  await log.close()
  const lines = (await readLines(file)).map((l) => JSON.parse(l))
  t.same(lines.map((l) => l.reason.slice(0, 6)), ['case 1', 'case 2', 'case 3', '2 reco'], 'the oldest kept, then the loss')
  t.same(lines[3].data, { drain: 1, ejected: 1 }, 'what was lost, by action')
  t.equal(log.stats().dropped, 2)
})

t.test('a failed write is counted and retried from what the disk holds, never thrown', async (t) => {
  const dir = t.testdir()
  const { log, file, problems } = setup(dir)
  await log.open()
  log.record(entry(1))
  await log.flush()
  // The file becomes unwritable in place: a folder where the file was (reopen fails until it is back).
  const { rm, mkdir } = await import('node:fs/promises')
  const saved = await readFile(file)
  await rm(file)
  await mkdir(file)
  ;(log as unknown as { handle: { close(): Promise<void> } | null }).handle = null // as after a failed write
  log.record(entry(2))
  await log.flush()
  t.equal(log.stats().writeErrors, 1)
  t.match(problems, [/audit write failed/])
  await rm(file, { recursive: true })
  await writeFile(file, saved)
  await log.flush()
  await log.close()
  const lines = (await readLines(file)).map((l) => JSON.parse(l))
  t.same(lines.map((l) => l.seq), [1, 2], 'written once, in order, after the disk came back')
  t.equal((await verifyFiles([file])).broken, null)
})

t.test('after a hand-over nothing is written; records go to the problem report', async (t) => {
  const { log, file, problems } = setup(t.testdir())
  await log.open()
  log.record(entry(1))
  await log.handOver()
  log.record(entry(2))
  await log.close()
  t.equal((await readLines(file)).length, 1)
  t.match(problems, [/after the hand-over/])
  t.equal(log.stats().dropped, 1)
})

t.test('records before open wait in memory (a successor before the hand-over)', async (t) => {
  const { log, file } = setup(t.testdir())
  log.record(entry(1))
  await log.flush()
  t.same(await readLines(file).catch(() => []), [], 'not written before open')
  await log.open()
  await log.close()
  t.equal((await readLines(file)).length, 1)
})

t.test('read() flushes first and filters by time and action across rotated files', async (t) => {
  const { log, clock } = setup(t.testdir(), { maxSizeBytes: 1_200, keep: 5 })
  await log.open()
  for (let n = 1; n <= 12; n++) {
    log.record(entry(n, n % 2 === 0 ? 'ejected' : 'returned'))
    clock.advance(1_000)
    await log.flush()
  }
  log.record(entry(13, 'drain')) // buffered: read() must still show it
  const all = await log.read({ sinceMs: -Infinity, action: null, limit: 100 })
  t.ok((await readdir(dirname(log.file))).length >= 3, 'the lines span rotated files')
  t.equal(all.records.length, 13)
  t.equal(all.truncated, false)
  const ejected = await log.read({ sinceMs: START_MS + 5_000, action: 'ejected', limit: 100 })
  t.same(ejected.records.map((r) => r.data?.n), [6, 8, 10, 12], 'ejections at or after since, oldest first')
  const newest = await log.read({ sinceMs: -Infinity, action: null, limit: 2 })
  t.same(newest.records.map((r) => r.data?.n), [12, 13], 'the newest `limit`')
  t.equal(newest.truncated, true)
  await log.close()
})

t.test('a large batch is sealed in slices; records arriving meanwhile follow it in the chain', async (t) => {
  const { log, file } = setup(t.testdir())
  await log.open()
  for (let n = 1; n <= 600; n++) log.record(entry(n))
  const flushing = log.flush()
  await new Promise((resolve) => setImmediate(resolve)) // the flush yields after its first 256 lines
  log.record(entry(601))
  await flushing
  await log.close()
  const lines = (await readLines(file)).map((l) => JSON.parse(l))
  t.same(lines.map((l) => l.data.n), Array.from({ length: 601 }, (_, k) => k + 1), 'every record once, in order')
  t.equal((await verifyFiles([file])).broken, null)
})
