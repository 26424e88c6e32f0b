import type { IntervalTimer } from '../../../src/audit/audit-log.js'

/** An IntervalTimer that fires only when told: flushes happen exactly where a test says. */
export class ManualTimer implements IntervalTimer {
  private runs: (() => void)[] = []
  intervalMs = Number.NaN

  every(ms: number, run: () => void): { cancel(): void } {
    this.intervalMs = ms
    this.runs.push(run)
    return { cancel: () => (this.runs = this.runs.filter((r) => r !== run)) }
  }

  get armed(): number {
    return this.runs.length
  }

  fire(): void {
    for (const run of this.runs) run()
  }
}
