/**
 * The overload bench's clients: an open-loop load (requests start on schedule whatever happened to the earlier
 * ones, so a slow proxy cannot slow its own load down: no coordinated omission) stepping through the profile's
 * rates, each request of a priority class named in x-baton-priority; and a retry-storm client at a constant rate
 * that retries every failure at once, up to STORM_ATTEMPTS tries. Every try is recorded. A client gives up after
 * CLIENT_TIMEOUT_MS (a failure, retried by the storm client like any other).
 */
import { Pool } from 'undici'
import { PRIORITY_NAMES } from '../../src/overload/priority.js'

export const CLIENT_TIMEOUT_MS = 2_000
/** Tries per storm request, the first included. */
export const STORM_ATTEMPTS = 5
/** Class of the i-th request of the main load: 10 % high, 60 % normal, 30 % low. */
const CLASS_PATTERN = [0, 1, 1, 1, 1, 1, 1, 2, 2, 2]
const TICK_MS = 2

export interface Phase {
  readonly startS: number
  readonly endS: number
  /** Requests per second of the main load. */
  readonly rate: number
}

/** One try: class 0 high, 1 normal, 2 low; status 0 for a failure without an answer (timeout, reset). */
export interface TryRecord {
  readonly cls: number
  readonly storm: boolean
  /** The request this try belongs to (a storm request's retries share it). */
  readonly origin: number
  /** When the request was due (its first try's schedule for a storm retry), ms since the run began. */
  readonly dueMs: number
  endMs: number
  status: number
}

export interface LoadResult {
  readonly tries: TryRecord[]
  readonly durationS: number
}

/** Runs the profile against `url` with the storm client at `stormRate` per second; resolves when every try ended. */
export async function runOpenLoop(url: string, phases: readonly Phase[], stormRate: number): Promise<LoadResult> {
  const pool = new Pool(url, { connections: 1024, pipelining: 1 })
  const tries: TryRecord[] = []
  const pending = new Set<Promise<void>>()
  const startMs = performance.now()
  const durationS = phases[phases.length - 1].endS
  let sent = 0
  let stormSent = 0
  const fire = (cls: number, storm: boolean, dueMs: number, attempt: number, origin: number): void => {
    const record: TryRecord = { cls, storm, origin, dueMs, endMs: -1, status: 0 }
    tries.push(record)
    const done = pool
      .request({ path: '/', method: 'GET', headers: { 'x-baton-priority': PRIORITY_NAMES[cls] }, signal: AbortSignal.timeout(CLIENT_TIMEOUT_MS) })
      .then(
        async (res) => {
          await res.body.dump()
          return res.statusCode
        },
        () => 0,
      )
      .then((status) => {
        record.endMs = performance.now() - startMs
        record.status = status
        pending.delete(done)
        if (storm && status !== 200 && attempt + 1 < STORM_ATTEMPTS) fire(cls, storm, dueMs, attempt + 1, origin) // at once
      })
    pending.add(done)
  }
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const nowS = (performance.now() - startMs) / 1000
      if (nowS >= durationS) {
        clearInterval(timer)
        resolve()
        return
      }
      const due = expectedCount(phases, nowS)
      for (; sent < due; sent++) fire(CLASS_PATTERN[sent % CLASS_PATTERN.length], false, nowS * 1000, 0, sent)
      for (const stormDue = Math.floor(stormRate * nowS); stormSent < stormDue; stormSent++) fire(1, true, nowS * 1000, 0, -1 - stormSent)
    }, TICK_MS)
  })
  while (pending.size > 0) await Promise.all([...pending])
  await pool.close()
  return { tries, durationS }
}

/** Requests of the main load due by `tS`: the integral of the piecewise-constant rate. */
function expectedCount(phases: readonly Phase[], tS: number): number {
  let n = 0
  for (const p of phases) n += p.rate * Math.max(0, Math.min(tS, p.endS) - p.startS)
  return Math.floor(n)
}
