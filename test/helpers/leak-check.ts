import { createHook, type AsyncHook } from 'node:async_hooks'
import { readdirSync } from 'node:fs'
import type { Test } from 'tap'
import { sleep } from './healing-rig.js'

/**
 * What the process holds at one moment: `process.getActiveResourcesInfo()` counted by type (TCPSocketWrap,
 * TCPServerWrap, Timeout, Immediate, FSReqCallback…), the open file descriptors, and the timers alive. Node
 * lists only resources that keep the event loop alive, so an unref'd socket shows up in `fds` only and an
 * unref'd timer (Baton's own tick is one) nowhere: timers are therefore also followed with async_hooks.
 */
export interface ResourceCounts {
  byType: Record<string, number>
  fds: number
  /** asyncIds of the timers alive, ref'd or not. */
  timers: ReadonlySet<number>
}

/** Key under which leftOver() reports timers still alive that getActiveResourcesInfo() may not list (unref'd). */
export const LIVE_TIMERS = "Timeout (ref'd or not)"

/**
 * Process-wide timers that belong to no server or pool and expire on their own within about a second of the
 * last use, named by their callbacks: Node's cached Date header (node:internal/http, `resetCache`, 1 s) and
 * undici's one shared tick for all its fast timers (undici/lib/util/timers.js, `onTick`, ~0.5 s, stops when no
 * fast timer is left). Waiting for them would add a second to every case; a pool or server they outlive still
 * shows up as a socket or a descriptor.
 */
const SHARED_TIMER_CALLBACKS: ReadonlySet<string> = new Set(['resetCache', 'onTick'])

/** asyncIds of every Timeout created since tracking began and neither fired (for good) nor cleared. */
const liveTimers = new Set<number>()
let timerHook: AsyncHook | null = null

function trackTimers(): void {
  timerHook ??= createHook({
    init(asyncId, type, _triggerAsyncId, resource) {
      if (type !== 'Timeout') return
      const callback = (resource as { _onTimeout?: unknown })._onTimeout // a Timeout's callback is set before its init hook runs
      if (typeof callback === 'function' && SHARED_TIMER_CALLBACKS.has(callback.name)) return
      liveTimers.add(asyncId)
    },
    destroy(asyncId) {
      liveTimers.delete(asyncId)
    },
  }).enable()
}

export function countResources(): ResourceCounts {
  trackTimers()
  const byType: Record<string, number> = {}
  for (const type of process.getActiveResourcesInfo()) byType[type] = (byType[type] ?? 0) + 1
  // readdirSync opens one fd on the directory while listing it, in the baseline and in every later count alike.
  return { byType, fds: readdirSync('/proc/self/fd').length, timers: new Set(liveTimers) }
}

/** What `now` holds beyond `before`, by resource type ('fd' for descriptors); empty when nothing is left over. */
export function leftOver(before: ResourceCounts, now: ResourceCounts): Record<string, number> {
  const extra: Record<string, number> = {}
  for (const [type, n] of Object.entries(now.byType)) {
    const more = n - (before.byType[type] ?? 0)
    if (more > 0) extra[type] = more
  }
  if (now.fds > before.fds) extra.fd = now.fds - before.fds
  let newTimers = 0
  for (const id of now.timers) if (!before.timers.has(id)) newTimers++
  if (newTimers > 0) extra[LIVE_TIMERS] = newTimers
  return extra
}

/**
 * Counts after one turn of the check phase: Node reports a fired or cleared timer's destroy to async_hooks from
 * a native immediate, so the timer that just woke this code (sleep, a poll) would otherwise still look alive.
 */
async function countSettled(): Promise<ResourceCounts> {
  await new Promise((resolve) => setImmediate(resolve))
  return countResources()
}

/** How long a closed server, socket or pool may take to let go of its handles: a close completes on a later tick. */
const SETTLE_MS = 1_000
const POLL_MS = 20

/**
 * A leak check around one test case: `baseline()` before any backend or Baton starts, `expectNoLeaks()` after
 * Baton and the backends are closed. It polls for up to a second, then reports every resource type that is
 * still above the baseline (a leaked socket, timer, pool connection or descriptor).
 */
export class LeakCheck {
  private constructor(private readonly before: ResourceCounts) {}

  static baseline(): LeakCheck {
    return new LeakCheck(countResources())
  }

  /** What the process holds above the baseline right now, without waiting: shows the check sees what it should. */
  held(): Record<string, number> {
    return leftOver(this.before, countResources())
  }

  async expectNoLeaks(t: Test, what = 'no socket, timer or fd left over'): Promise<Record<string, number>> {
    const deadline = Date.now() + SETTLE_MS
    let extra = leftOver(this.before, await countSettled())
    while (Object.keys(extra).length > 0 && Date.now() < deadline) {
      await sleep(POLL_MS)
      extra = leftOver(this.before, await countSettled())
    }
    t.same(extra, {}, `${what} (resources above the baseline after up to ${SETTLE_MS} ms)`)
    return extra
  }
}
