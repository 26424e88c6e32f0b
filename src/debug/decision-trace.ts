import type { Endpoint, PickExplanation, Policy } from '../balancer/types.js'
import { normalCdf } from '../model/gaussian.js'

/** One candidate of a pick: its sampled cost and the policy's features for it. */
export interface CandidateTrace {
  id: string
  sampledCostMs: number
  features: Record<string, number>
}

/** What the balancer decided for one request, captured right after its first pick. */
export interface DecisionTrace {
  upstream: string
  policy: string
  chosen: string
  /** Empty for policies that do not compare candidates (round_robin, random). */
  candidates: CandidateTrace[]
  /**
   * Probability that this pair of candidates was drawn: the policy's own when its draw is not uniform
   * (adaptive draws from its near-best pool), else 2 / (n(n−1)) for n available; 1 with no pair.
   */
  pairProbability: number
  /**
   * Probability that the chosen candidate wins the pair: the policy's own when it gives one (adaptive: Thompson
   * moved by its exploration budget), else under Thompson sampling P(cost_chosen < cost_other) for independent
   * normal cost draws = Φ((μ_other − μ_chosen) / √(σ_chosen² + σ_other²)); 1 with no pair.
   * pairProbability × choiceProbability is the propensity an offline evaluator weights by (before slow start).
   */
  choiceProbability: number
}

/** Reads the last pick of `policy` among `available` endpoints; `byIndex` maps an index to its endpoint. */
export function traceDecision(
  upstream: string,
  policy: Policy,
  chosen: Endpoint,
  available: number,
  byIndex: readonly Endpoint[],
): DecisionTrace {
  const pick = policy.explainPick?.() ?? null
  const paired = pick !== null && pick.chosen === chosen.id && pick.candidates.length === 2
  return {
    upstream,
    policy: policy.name,
    chosen: chosen.id,
    candidates: paired ? candidatesOf(pick, policy, byIndex) : [],
    pairProbability: paired ? (pick.pairProbability ?? 2 / (available * (available - 1))) : 1,
    choiceProbability: paired ? (pick.choiceProbability ?? winProbability(pick, policy, byIndex)) : 1,
  }
}

/** `policy=adaptive; chosen=a; a=12.3ms; b=40.1ms`: the x-baton-decision header value. */
export function formatDecisionHeader(trace: DecisionTrace): string {
  let text = `policy=${trace.policy}; chosen=${trace.chosen}`
  for (const c of trace.candidates) text += `; ${c.id}=${c.sampledCostMs.toFixed(2)}ms`
  return text
}

function candidatesOf(pick: PickExplanation, policy: Policy, byIndex: readonly Endpoint[]): CandidateTrace[] {
  return pick.candidates.map((c) => ({
    id: c.id,
    sampledCostMs: c.sampledCostMs,
    features: policy.explain?.(byIndex[c.index]) ?? {},
  }))
}

function winProbability(pick: PickExplanation, policy: Policy, byIndex: readonly Endpoint[]): number {
  const [a, b] = pick.candidates
  const chosenFirst = a.id === pick.chosen
  const mine = policy.explain?.(byIndex[chosenFirst ? a.index : b.index])
  const other = policy.explain?.(byIndex[chosenFirst ? b.index : a.index])
  if (mine === undefined || other === undefined || !('costMs' in mine) || !('costMs' in other)) return 1
  const spread = Math.hypot(mine.costStdMs ?? 0, other.costStdMs ?? 0)
  if (spread === 0) return mine.costMs <= other.costMs ? 1 : 0
  return normalCdf((other.costMs - mine.costMs) / spread)
}
