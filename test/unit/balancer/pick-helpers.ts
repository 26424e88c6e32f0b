import type { PickContext } from '../../../src/balancer/types.js'
import type { Rng } from '../../../src/util/rng.js'

export const FIRST_TRY: Readonly<PickContext> = { hashKey: 0, attempt: 0, exclude: -1 }

/** The context of a retry that must avoid the endpoint with this index. */
export function retryAvoiding(index: number): PickContext {
  return { hashKey: 0, attempt: 1, exclude: index }
}

/** Picks per ratio test: the standard error of a share near 25% is then ≈ 0.14%, so ±1% is over 7σ. */
export const PICKS = 100_000
/** Allowed absolute difference between an observed and an expected share. */
export const TOLERANCE = 0.01

/**
 * Replays the given numbers in [0, 1) in a loop and counts the draws. Deterministic, and allocation-free
 * (the values sit in a Float64Array), so it can feed allocation tests and scripted picks.
 */
export class CycleRng implements Rng {
  draws = 0
  private readonly values: Float64Array

  constructor(values: ArrayLike<number>) {
    this.values = Float64Array.from(values)
  }

  next(): number {
    const v = this.values[this.draws % this.values.length]
    this.draws++
    return v
  }
}
