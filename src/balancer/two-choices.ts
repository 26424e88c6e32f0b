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

/**
 * A subset of the available endpoints to draw candidates from (model/near-best-set.ts keeps the one of the
 * adaptive policy): positions in `available`, plus two lookups by Endpoint.index so an excluded endpoint is
 * skipped without a scan.
 */
export interface CandidatePool {
  /** Positions in `available` of the members, in members[0..count). */
  readonly members: Int32Array
  readonly count: number
  /** By Endpoint.index: the endpoint's slot in members, −1 when it is not a member. */
  readonly slotOf: Int32Array
  /** By Endpoint.index: its position in `available`, −1 when it is not available. */
  readonly positionOf: Int32Array
}

/**
 * The power of two choices drawn from a pool of the best (weakness of the uniform draw: when k of n
 * endpoints are bad, k(k−1)/(n(n−1)) of uniform pairs hold only bad ones, a fifth of all picks with half
 * the pool bad). Two distinct members uniformly; with one member left (after the retry's exclusion), that
 * one and a uniformly drawn other endpoint; with none, a uniform pair of the others. `pairProbability` is
 * the probability of the pair drawn, for the decision log. The excluded endpoint is never a candidate
 * unless it is the only endpoint (then both candidates are it). No allocation.
 */
export class PoolChoices {
  /** Positions in `available` of the last draw. */
  a = 0
  b = 0
  /** Probability of drawing this unordered pair (1 when a = b: nothing else could be drawn). */
  pairProbability = 1

  draw(available: readonly Endpoint[], pool: CandidatePool, rng: Rng, exclude: number): void {
    const n = available.length
    const excludedSlot = exclude >= 0 && exclude < pool.slotOf.length ? pool.slotOf[exclude] : -1
    const excludedPos = exclude >= 0 && exclude < pool.positionOf.length ? pool.positionOf[exclude] : -1
    const m = excludedSlot >= 0 ? pool.count - 1 : pool.count
    const others = excludedPos >= 0 ? n - 1 : n
    if (m >= 2) {
      let ra = (rng.next() * m) | 0
      let rb = (rng.next() * (m - 1)) | 0
      if (rb >= ra) rb++
      if (excludedSlot >= 0) {
        if (ra >= excludedSlot) ra++
        if (rb >= excludedSlot) rb++
      }
      this.a = pool.members[ra]
      this.b = pool.members[rb]
      this.pairProbability = 2 / (m * (m - 1))
    } else if (m === 1 && others >= 2) {
      const only = pool.members[excludedSlot === 0 ? 1 : 0]
      this.a = only
      this.b = skip2((rng.next() * (others - 1)) | 0, only, excludedPos)
      this.pairProbability = 1 / (others - 1)
    } else if (others >= 2) {
      let ra = (rng.next() * others) | 0
      let rb = (rng.next() * (others - 1)) | 0
      if (rb >= ra) rb++
      this.a = skip1(ra, excludedPos)
      this.b = skip1(rb, excludedPos)
      this.pairProbability = 2 / (others * (others - 1))
    } else {
      // One endpoint besides the excluded one, or only the excluded one: both candidates are it.
      const only = others === 1 && excludedPos >= 0 ? (excludedPos === 0 ? 1 : 0) : 0
      this.a = only
      this.b = only
      this.pairProbability = 1
    }
  }
}

/** The r-th position of `available` leaving out position `skip` (−1: none). */
function skip1(r: number, skip: number): number {
  return skip >= 0 && r >= skip ? r + 1 : r
}

/** The r-th position of `available` leaving out positions x and y (y may be −1). */
function skip2(r: number, x: number, y: number): number {
  const lo = y >= 0 && y < x ? y : x
  const hi = y >= 0 && y < x ? x : y
  let p = r
  if (p >= lo) p++
  if (hi >= 0 && hi !== lo && p >= hi) p++
  return p
}
