import type { Endpoint, PickContext, Policy } from '../types.js'

/**
 * Smooth weighted round robin (nginx's algorithm, ngx_http_upstream_get_peer): each pick adds every
 * endpoint's weight to its running score, takes the highest, and subtracts the total weight from it.
 * Weights 5,1,1 give a a b a c a a: spread out, not bunched. Equal weights reduce to plain rotation.
 * Scores live in a Float64Array indexed by position in the available list; rebuild() resets them.
 */
export class RoundRobinPolicy implements Policy {
  readonly name = 'round_robin'
  private current = new Float64Array(0)
  private totalWeight = 0

  rebuild(available: readonly Endpoint[]): void {
    this.current = new Float64Array(available.length)
    this.totalWeight = 0
    for (let i = 0; i < available.length; i++) this.totalWeight += available[i].weight
  }

  pick(available: readonly Endpoint[], ctx: PickContext): Endpoint | null {
    const current = this.current
    let best = -1
    let total = this.totalWeight
    for (let i = 0; i < available.length; i++) {
      if (available[i].index === ctx.exclude) {
        total -= available[i].weight // the excluded endpoint sits this round out
        continue
      }
      current[i] += available[i].weight
      if (best < 0 || current[i] > current[best]) best = i
    }
    if (best < 0) return null
    current[best] -= total
    return available[best]
  }

  observe(): void {}

  tick(): void {}
}
