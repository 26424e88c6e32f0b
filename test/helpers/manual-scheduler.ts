import type { Scheduler } from '../../src/health/recovery-prober.js'
import type { ManualClock } from '../../src/util/clock.js'

interface Entry {
  readonly at: number
  readonly run: (i: number) => void
  readonly i: number
}

/** A Scheduler on a manual clock, for unit tests: nothing runs until fire() or advance(). */
export class ManualScheduler implements Scheduler {
  private pending: Entry[] = []

  constructor(private readonly clock: ManualClock) {}

  set(run: (i: number) => void, delayMs: number, i: number): unknown {
    const entry = { at: this.clock.now() + delayMs, run, i }
    this.pending.push(entry)
    return entry
  }

  clear(handle: unknown): void {
    this.pending = this.pending.filter((e) => e !== handle)
  }

  /** Timers set and not yet run or cleared. */
  get size(): number {
    return this.pending.length
  }

  /** Runs the timers due at the clock's time now (the clock is moved by the test). */
  fire(): void {
    const now = this.clock.now()
    const due = this.pending.filter((e) => e.at <= now)
    this.pending = this.pending.filter((e) => e.at > now)
    for (const e of due) e.run(e.i)
  }

  /**
   * Moves the clock by ms, running due timers in order and letting each async callback settle (a probe's
   * answer); `onSecond` runs at each whole second passed (a cluster's tick).
   */
  async advance(ms: number, onSecond: (nowMs: number) => void = () => {}): Promise<void> {
    const end = this.clock.now() + ms
    for (;;) {
      const next = this.pending.reduce<Entry | null>((a, e) => (a === null || e.at < a.at ? e : a), null)
      const nextSecond = Math.floor(this.clock.now() / 1000) * 1000 + 1000
      const at = Math.min(next === null ? Infinity : next.at, nextSecond)
      if (at > end) break
      this.clock.set(at)
      if (at === nextSecond) onSecond(at)
      if (next !== null && next.at === at) {
        this.pending = this.pending.filter((e) => e !== next)
        next.run(next.i)
        await new Promise((resolve) => setImmediate(resolve))
      }
    }
    this.clock.set(end)
  }
}
