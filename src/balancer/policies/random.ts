import type { Rng } from '../../util/rng.js'
import type { Endpoint, PickContext, Policy } from '../types.js'

/**
 * Weighted random choice in O(1) per pick with Vose's alias method (Vose 1991, "A linear algorithm for
 * generating random numbers with a given distribution"): one uniform draw picks a column, a second
 * decides between the column's own endpoint and its alias. Tables are typed arrays built in rebuild().
 */
export class RandomPolicy implements Policy {
  readonly name = 'random'
  private probability = new Float64Array(0)
  private alias = new Int32Array(0)

  constructor(private readonly rng: Rng) {}

  rebuild(available: readonly Endpoint[]): void {
    const n = available.length
    this.probability = new Float64Array(n)
    this.alias = new Int32Array(n)
    if (n === 0) return
    let total = 0
    for (let i = 0; i < n; i++) total += available[i].weight
    const scaled = new Float64Array(n)
    for (let i = 0; i < n; i++) scaled[i] = (available[i].weight * n) / total
    buildAliasTable(scaled, this.probability, this.alias)
  }

  pick(available: readonly Endpoint[], ctx: PickContext): Endpoint | null {
    let i = this.draw()
    if (available[i].index === ctx.exclude) i = this.draw()
    if (available[i].index === ctx.exclude) i = (i + 1) % available.length // n ≥ 2: the neighbour is another endpoint
    return available[i]
  }

  observe(): void {}

  tick(): void {}

  private draw(): number {
    const n = this.probability.length
    const column = (this.rng.next() * n) | 0
    return this.rng.next() < this.probability[column] ? column : this.alias[column]
  }
}

/** Vose's stable construction: pairs each under-full column with an over-full donor. */
function buildAliasTable(scaled: Float64Array, probability: Float64Array, alias: Int32Array): void {
  const n = scaled.length
  const small: number[] = []
  const large: number[] = []
  for (let i = 0; i < n; i++) (scaled[i] < 1 ? small : large).push(i)
  while (small.length > 0 && large.length > 0) {
    const s = small.pop()!
    const l = large.pop()!
    probability[s] = scaled[s]
    alias[s] = l
    scaled[l] = scaled[l] + scaled[s] - 1
    ;(scaled[l] < 1 ? small : large).push(l)
  }
  for (const i of large) probability[i] = 1
  for (const i of small) probability[i] = 1 // only left by rounding error
}
