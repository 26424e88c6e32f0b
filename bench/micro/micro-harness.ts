import type { Endpoint, Policy } from '../../src/balancer/types.js'

/** The harness alone: the next endpoint in turn, nothing recorded; what a policy's cost is measured above. */
export class BaselinePolicy implements Policy {
  readonly name = 'baseline'
  private next = 0

  rebuild(): void {}

  pick(available: readonly Endpoint[]): Endpoint | null {
    this.next = this.next + 1 === available.length ? 0 : this.next + 1
    return available[this.next]
  }

  observe(): void {}

  tick(): void {}
}

/** The middle batch time (the upper middle for an even count). */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[sorted.length >> 1]
}

/** Batches per measurement, and the length each is sized to by the warm-up, ms. */
export const BATCHES = 11
export const BATCH_MS = 20
const WARM_UP = 50_000

/** XOR of every run's result, printed by the bench, so the optimiser cannot drop the work measured. */
export const checksum = { value: 0 }

/** Median ns per call of `run(count)` over BATCHES batches sized to BATCH_MS by a warm-up; `run` returns a number to fold into the checksum. */
export function nsPerCall(run: (count: number) => number): number {
  const start = process.hrtime.bigint()
  checksum.value ^= run(WARM_UP)
  const warmNs = Number(process.hrtime.bigint() - start) / WARM_UP
  const batch = Math.max(1_000, Math.round((BATCH_MS * 1e6) / warmNs))
  const runs: number[] = []
  for (let b = 0; b < BATCHES; b++) {
    const t0 = process.hrtime.bigint()
    checksum.value ^= run(batch)
    runs.push(Number(process.hrtime.bigint() - t0) / batch)
  }
  return median(runs)
}
