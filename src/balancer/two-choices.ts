import type { Rng } from '../util/rng.js'
import type { Endpoint } from './types.js'

/**
 * The candidate draw of the power of two choices (Mitzenmacher, "The Power of Two Choices in Randomized Load
 * Balancing", 2001): two distinct uniformly random positions in the available list; when one of them is the
 * endpoint a retry must avoid, both become the other. Kept in two fields, not returned as a pair, so a draw
 * allocates nothing. Callers guarantee at least two endpoints (the Balancer short-cuts 0 and 1).
 */
export class TwoChoices {
  /** Positions in `available` of the last draw. */
  a = 0
  b = 0

  draw(available: readonly Endpoint[], rng: Rng, exclude: number): void {
    const n = available.length
    let a = (rng.next() * n) | 0
    let b = (rng.next() * (n - 1)) | 0
    if (b >= a) b++ // two distinct candidates
    if (available[a].index === exclude) a = b
    else if (available[b].index === exclude) b = a
    this.a = a
    this.b = b
  }
}
