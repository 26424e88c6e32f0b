import type { Rng } from '../../util/rng.js'
import type { Endpoint, PickContext, Policy } from '../types.js'

export interface LeastRequestOptions {
  /** Endpoints sampled per pick (power of d choices; 2 gives most of the benefit, Mitzenmacher 2001). */
  choiceCount: number
  /** Exponent on (active + 1) in the effective weight. */
  activeRequestBias: number
}

/**
 * Least request by power of d choices (Envoy's LEAST_REQUEST): sample d distinct endpoints and take the one
 * with the highest effective weight = weight / (active + 1)^bias. With bias 1 and equal weights this is
 * "fewest in-flight wins". O(d) per pick, no allocation: distinct samples come from a partial
 * Fisher–Yates shuffle over a preallocated permutation.
 */
export class LeastRequestPolicy implements Policy {
  readonly name = 'least_request'
  private permutation = new Int32Array(0)

  constructor(
    private readonly options: LeastRequestOptions,
    private readonly rng: Rng,
  ) {}

  rebuild(available: readonly Endpoint[]): void {
    this.permutation = new Int32Array(available.length)
    for (let i = 0; i < available.length; i++) this.permutation[i] = i
  }

  pick(available: readonly Endpoint[], ctx: PickContext): Endpoint | null {
    const n = available.length
    const d = Math.min(this.options.choiceCount, n)
    const perm = this.permutation
    let best: Endpoint | null = null
    let bestScore = -1
    for (let k = 0; k < d; k++) {
      const j = k + ((this.rng.next() * (n - k)) | 0)
      const chosen = perm[j]
      perm[j] = perm[k]
      perm[k] = chosen
      const e = available[chosen]
      if (e.index === ctx.exclude) continue
      const score = this.effectiveWeight(e)
      if (score > bestScore) {
        best = e
        bestScore = score
      }
    }
    return best ?? available[(perm[0] + 1) % n] // every sample was the excluded one: take its neighbour
  }

  observe(): void {}

  tick(): void {}

  private effectiveWeight(e: Endpoint): number {
    const bias = this.options.activeRequestBias
    const load = bias === 1 ? e.inflight + 1 : Math.pow(e.inflight + 1, bias)
    return e.weight / load
  }
}
