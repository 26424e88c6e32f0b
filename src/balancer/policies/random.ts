import type { Rng } from '../../util/rng.js'
import type { Endpoint, PickContext, Policy } from '../types.js'

/**
 * Draws per pick before a retry falls back to the excluded endpoint's neighbour, which so gains
 * p(excluded)^8 of share: under 0.1% while the excluded endpoint's share is under 40%.
 */
const RETRY_DRAWS = 8

/**
 * Weighted random choice in O(1) per pick with Vose's alias method (Vose 1991, "A linear algorithm for
 * generating random numbers with a given distribution"): a column is chosen uniformly, then either the
 * column's own endpoint or its alias. Tables are typed arrays indexed by position, built in rebuild().
 * With equal weights every column keeps its own endpoint, so a pick is one uniform index.
 */
export class RandomPolicy implements Policy {
  readonly name = 'random'
  /** Per column: the probability of keeping the column's own endpoint rather than its alias. */
  private keep = new Float64Array(0)
  private alias = new Int32Array(0)

  constructor(private readonly rng: Rng) {}

  rebuild(available: readonly Endpoint[]): void {
    const n = available.length
    this.keep = new Float64Array(n)
    this.alias = new Int32Array(n)
    let total = 0
    for (let i = 0; i < n; i++) total += available[i].weight
    const scaled = new Float64Array(n)
    for (let i = 0; i < n; i++) scaled[i] = (available[i].weight * n) / total
    buildAliasTable(scaled, this.keep, this.alias)
  }

  /** On a retry the excluded endpoint is redrawn (rejection sampling), up to RETRY_DRAWS draws in all. */
  pick(available: readonly Endpoint[], ctx: PickContext): Endpoint | null {
    let i = this.draw()
    for (let draws = 1; draws < RETRY_DRAWS && available[i].index === ctx.exclude; draws++) i = this.draw()
    if (available[i].index === ctx.exclude) i = i + 1 === available.length ? 0 : i + 1
    return available[i]
  }

  observe(): void {}

  tick(): void {}

  /**
   * One uniform draw serves both choices: its integer part is the column, its fractional part (itself
   * uniform) decides own endpoint or alias. A 32-bit generator leaves 32 − log2(n) bits for the fraction:
   * 22 bits at 1000 endpoints, far finer than any weight ratio (weights are at most 10000).
   */
  private draw(): number {
    const u = this.rng.next() * this.keep.length
    const column = u | 0
    return u - column < this.keep[column] ? column : this.alias[column]
  }
}

/** Vose's stable construction: pairs each under-full column with an over-full donor. */
function buildAliasTable(scaled: Float64Array, keep: Float64Array, alias: Int32Array): void {
  const small: number[] = []
  const large: number[] = []
  for (let i = 0; i < scaled.length; i++) (scaled[i] < 1 ? small : large).push(i)
  while (small.length > 0 && large.length > 0) {
    const s = small.pop()!
    const l = large.pop()!
    keep[s] = scaled[s]
    alias[s] = l
    scaled[l] = scaled[l] + scaled[s] - 1
    ;(scaled[l] < 1 ? small : large).push(l)
  }
  for (const i of large) keep[i] = 1
  for (const i of small) keep[i] = 1 // only left by rounding error
}
