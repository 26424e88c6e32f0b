import type { Endpoint, PickContext, Policy } from '../types.js'

/**
 * Smooth weighted round robin (nginx's algorithm, ngx_http_upstream_get_peer): each pick adds every
 * endpoint's weight to its running score, takes the highest, and subtracts the total weight from it.
 * Weights 5,1,1 give a a b a c a a: spread out, not bunched. That costs O(n) per pick.
 *
 * With equal weights the same algorithm is a plain rotation (ties go to the lowest position), so it is
 * run as one: a cursor, O(1) per pick whatever the number of endpoints.
 *
 * State is indexed by position in the available list and reset by rebuild().
 */
export class RoundRobinPolicy implements Policy {
  readonly name = 'round_robin'
  /**
   * Running score per position (nginx's current_weight), in units of weight. Weights are integers
   * (balancer/types.ts) and scores stay within a small multiple of the total weight (≤ n × 10000; about
   * 1.3× with retries, by simulation), so int32 is exact for any realistic n.
   */
  private current = new Int32Array(0)
  /** Weight and endpoint index per position: the O(n) scan reads these contiguous arrays, not n objects. */
  private weights = new Int32Array(0)
  private indexes = new Int32Array(0)
  private totalWeight = 0
  /** All weights equal: rotate instead of scoring. */
  private uniform = true
  /** Position the rotation hands out next. */
  private cursor = 0

  rebuild(available: readonly Endpoint[]): void {
    const n = available.length
    this.current = new Int32Array(n)
    this.weights = Int32Array.from(available, (e) => e.weight)
    this.indexes = Int32Array.from(available, (e) => e.index)
    this.totalWeight = 0
    this.uniform = true
    this.cursor = 0
    for (let i = 0; i < n; i++) {
      this.totalWeight += this.weights[i]
      if (this.weights[i] !== this.weights[0]) this.uniform = false
    }
  }

  pick(available: readonly Endpoint[], ctx: PickContext): Endpoint | null {
    return this.uniform ? this.rotate(available, ctx) : this.smooth(available, ctx.exclude)
  }

  observe(): void {}

  tick(): void {}

  /**
   * The next position, skipping the excluded endpoint (n ≥ 2, so the one after it is another). A first-try
   * pick with an exclusion replaces the pick just made (the balancer's slow-start rejection, PickContext):
   * it takes the cursor's endpoint without advancing, so the rejected turn is not used up twice and a
   * ramping endpoint keeps exactly its factor of a 1/n share.
   */
  private rotate(available: readonly Endpoint[], ctx: PickContext): Endpoint {
    const exclude = ctx.exclude
    let i = this.cursor
    if (ctx.attempt === 0 && exclude !== -1 && this.indexes[i === 0 ? available.length - 1 : i - 1] === exclude) return available[i]
    if (this.indexes[i] === exclude) i = following(i, available.length)
    this.cursor = following(i, available.length)
    return available[i]
  }

  private smooth(available: readonly Endpoint[], exclude: number): Endpoint | null {
    const { current, weights, indexes } = this
    let best = -1
    let bestScore = -Infinity
    let total = this.totalWeight
    for (let i = 0; i < current.length; i++) {
      if (indexes[i] === exclude) {
        total -= weights[i] // sits this round out; the scores still sum to 0 afterwards
        continue
      }
      const score = current[i] + weights[i]
      current[i] = score
      if (score > bestScore) {
        best = i
        bestScore = score
      }
    }
    if (best < 0) return null
    current[best] -= total
    return available[best]
  }
}

/** i + 1, wrapping to 0 at n; cheaper than a modulo. */
function following(i: number, n: number): number {
  return i + 1 === n ? 0 : i + 1
}
