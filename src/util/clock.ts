import { performance } from 'node:perf_hooks'

/** A monotonic clock in milliseconds. Injected everywhere time matters so tests can drive it. */
export interface Clock {
  now(): number
}

/** performance.now(): monotonic, sub-millisecond, unaffected by wall-clock jumps. */
export const systemClock: Clock = { now: () => performance.now() }

/** A clock that only moves when told to; for deterministic unit tests. */
export class ManualClock implements Clock {
  private current: number

  constructor(startMs = 0) {
    this.current = startMs
  }

  now(): number {
    return this.current
  }

  advance(ms: number): void {
    this.current += ms
  }

  set(ms: number): void {
    this.current = ms
  }
}
