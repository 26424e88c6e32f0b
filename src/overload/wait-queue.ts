import { PRIORITY_CLASSES } from './priority.js'

/** Why a request got no permit: the index into the shed counters, one stable error code each (shed-answers.ts). */
export const SHED_PRESSURE = 0
export const SHED_QUEUE_TIMEOUT = 1
export const SHED_QUEUE_FULL = 2
export const SHED_MAX_REQUESTS = 3
export const SHED_ENDPOINT_MAX_REQUESTS = 4
export const SHED_REASONS = ['pressure', 'queue-timeout', 'queue-full', 'max-requests', 'endpoint-max-requests'] as const
export type ShedReason = (typeof SHED_REASONS)[number]

/**
 * A request waiting for a permit. Intrusive links (prev/next) make removal O(1) and need no node object: the
 * server's waiter (server/pending-request.ts) is reused from a pool, so a queued request allocates nothing either.
 */
export abstract class AdmissionWaiter {
  priority = 0
  enqueuedMs = 0
  prev: AdmissionWaiter | null = null
  next: AdmissionWaiter | null = null
  queued = false

  /** The permit is this request's now; it must be released exactly once (AdmissionControl.release). */
  abstract admitted(waitedMs: number): void
  /** It was shed while waiting (`reason` one of the SHED_* numbers): answer 503. No permit was held. */
  abstract shed(reason: number): void
}

/** FIFO lists, one per priority class; the most important non-empty class is served first. */
export class WaitQueue {
  length = 0
  private readonly heads: (AdmissionWaiter | null)[] = new Array<AdmissionWaiter | null>(PRIORITY_CLASSES).fill(null)
  private readonly tails: (AdmissionWaiter | null)[] = new Array<AdmissionWaiter | null>(PRIORITY_CLASSES).fill(null)

  push(w: AdmissionWaiter): void {
    const c = w.priority
    w.prev = this.tails[c]
    w.next = null
    if (w.prev === null) this.heads[c] = w
    else w.prev.next = w
    this.tails[c] = w
    w.queued = true
    this.length++
  }

  remove(w: AdmissionWaiter): void {
    if (!w.queued) return
    const c = w.priority
    if (w.prev === null) this.heads[c] = w.next
    else w.prev.next = w.next
    if (w.next === null) this.tails[c] = w.prev
    else w.next.prev = w.prev
    w.prev = w.next = null
    w.queued = false
    this.length--
  }

  /** The oldest waiter of the most important class, or null. */
  first(): AdmissionWaiter | null {
    for (let c = 0; c < PRIORITY_CLASSES; c++) if (this.heads[c] !== null) return this.heads[c]
    return null
  }

  /** The oldest waiter of the most important class less important than `priority`, or null. */
  firstBelow(priority: number): AdmissionWaiter | null {
    for (let c = priority + 1; c < PRIORITY_CLASSES; c++) if (this.heads[c] !== null) return this.heads[c]
    return null
  }

  /** The oldest waiter of class `c`, or null. */
  head(c: number): AdmissionWaiter | null {
    return this.heads[c]
  }

  /** The newest waiter of the least important class less important than `priority`, or null: the one a full queue evicts. */
  evictable(priority: number): AdmissionWaiter | null {
    for (let c = PRIORITY_CLASSES - 1; c > priority; c--) if (this.tails[c] !== null) return this.tails[c]
    return null
  }
}
