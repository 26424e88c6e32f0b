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
