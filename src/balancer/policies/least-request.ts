import type { Rng } from '../../util/rng.js'
import type { Endpoint, PickContext, Policy } from '../types.js'

export interface LeastRequestOptions {
  /** Endpoints sampled per pick, at least 1 (power of d choices; 2 gives most of the benefit, Mitzenmacher 2001). */
  choiceCount: number
  /** Exponent on (active + 1) in the effective weight; 1 in Envoy by default. */
  activeRequestBias: number
}

/**
 * Least request by power of d choices (Envoy's LEAST_REQUEST): sample d distinct endpoints and take the one
 * with the highest effective weight = weight / (active + 1)^bias. When all weights are equal that order is
 * just "fewest in flight wins", so then only in-flight counts are compared (as Envoy does). Ties go to the
 * first sampled, i.e. are broken at random.
 *
 * O(d) per pick, no allocation: distinct samples come from a partial Fisher–Yates shuffle over a
 * preallocated permutation of positions. The excluded endpoint of a retry is drawn past, not counted, so
 * a retry still compares d real candidates.
 */
export class LeastRequestPolicy implements Policy {
  readonly name = 'least_request'
  private readonly choiceCount: number
  private readonly bias: number
  private readonly rng: Rng
  /** Positions 0..n−1 in the order the last shuffle left them; any order samples uniformly. */
  private permutation = new Int32Array(0)
  private equalWeights = true

  constructor(options: LeastRequestOptions, rng: Rng) {
    this.choiceCount = options.choiceCount
    this.bias = options.activeRequestBias
    this.rng = rng
  }

  rebuild(available: readonly Endpoint[]): void {
    this.permutation = new Int32Array(available.length)
    this.equalWeights = true
    for (let i = 0; i < available.length; i++) {
      this.permutation[i] = i
      if (available[i].weight !== available[0].weight) this.equalWeights = false
    }
  }

  pick(available: readonly Endpoint[], ctx: PickContext): Endpoint | null {
    const n = available.length
    const perm = this.permutation
    let best: Endpoint | null = null
    let bestScore = -Infinity
    let sampled = 0
    for (let k = 0; k < n && sampled < this.choiceCount; k++) {
      const j = k + ((this.rng.next() * (n - k)) | 0) // uniform among the n − k not yet drawn
      const position = perm[j]
      perm[j] = perm[k]
      perm[k] = position
      const e = available[position]
      if (e.index === ctx.exclude) continue
      sampled++
      const score = this.score(e)
      if (score > bestScore) {
        best = e
        bestScore = score
      }
    }
    return best
  }

  observe(): void {}

  tick(): void {}

  /** Higher wins: −in-flight with equal weights, else weight / (in-flight + 1)^bias. */
  private score(e: Endpoint): number {
    if (this.equalWeights) return -e.inflight
    const load = this.bias === 1 ? e.inflight + 1 : Math.pow(e.inflight + 1, this.bias)
    return e.weight / load
  }
}
