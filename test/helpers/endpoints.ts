import type { Endpoint } from '../../src/balancer/types.js'

/** Plain endpoints for policy unit tests: ids e0, e1, …, with the given weights and in-flight counts. */
export function makeEndpoints(weights: number[], inflight: number[] = []): Endpoint[] {
  return weights.map((weight, index) => ({ id: `e${index}`, index, weight, inflight: inflight[index] ?? 0 }))
}

/** Runs `picks` picks and returns the share of each endpoint by index. */
export function shares(n: number, picks: number, pick: () => Endpoint | null): number[] {
  const counts = new Array<number>(n).fill(0)
  for (let i = 0; i < picks; i++) counts[pick()!.index]++
  return counts.map((c) => c / picks)
}
