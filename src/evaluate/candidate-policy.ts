import type { LoggedDecision } from './decision-log.js'

/**
 * A candidate policy, as it can be evaluated on a decision log: given the logged pair of candidates and their
 * logged features, its probability of choosing each of the two. A candidate is evaluated as its choice rule
 * applied to the logging policy's pairs: the pair is drawn as logged (its pairProbability), so that
 * probability is the same for the logging and the candidate policy and cancels in the importance weight:
 *   w = P_candidate(chosen | pair, features) / P_logging(chosen | pair, features) = p_candidate / choiceProbability.
 * The logged choiceProbability is the real one, the adaptive policy's exploration budget included
 * (AdaptivePolicy.explainPick). Since adaptive draws its pairs from its near-best pool rather than
 * uniformly, a candidate here is "its rule on adaptive's pairs", not that policy end to end: a fair coin
 * (round_robin, random, uniform) is a fair coin between two near-best candidates, never a pick of an
 * endpoint adaptive kept out of its pairs (the log holds no outcome of such pairs to weigh).
 */
export interface CandidatePolicy {
  readonly name: string
  /** One line saying what the policy does on logged data. */
  readonly description: string
  /** The feature it needs in both candidates, or null. */
  readonly feature: string | null
  /** Probability of choosing candidates[0] (the other gets 1 − it); NaN when a needed feature is missing. */
  probabilityOfFirst(d: LoggedDecision): number
}

export const POLICY_NAMES = ['round_robin', 'random', 'uniform', 'least_request', 'peak_ewma', 'greedy', 'adaptive'] as const

/** Options: `feature=<name>` (greedy, least_request), `epsilon=<0..1>` (mix the greedy choice with a fair coin). */
export function candidatePolicy(name: string, options: Record<string, string>): CandidatePolicy {
  const known = new Set(['feature', 'epsilon'])
  for (const k of Object.keys(options)) if (!known.has(k)) throw new Error(`unknown --option ${k} (known: feature, epsilon)`)
  const epsilon = options.epsilon === undefined ? 0 : Number(options.epsilon)
  if (!(epsilon >= 0 && epsilon <= 1)) throw new Error(`--option epsilon must be a number in 0..1, not "${options.epsilon}"`)
  const soft = epsilon > 0 ? `; with probability ${epsilon} a fair coin instead` : ''
  switch (name) {
    case 'round_robin':
    case 'random':
    case 'uniform':
      return {
        name,
        description: 'uniform: a fair coin between the two logged candidates (on the logging policy\'s pairs)',
        feature: null,
        probabilityOfFirst: () => 0.5,
      }
    case 'least_request':
    case 'greedy': {
      const feature = options.feature ?? (name === 'least_request' ? 'inflight' : undefined)
      if (feature === undefined) throw new Error('greedy needs --option feature=<logged feature>, e.g. feature=peakEwmaMs')
      return greedy(name, feature, (f) => f[feature], `the candidate with the lower logged ${feature} (ties: a fair coin)${soft}`, epsilon)
    }
    case 'peak_ewma':
      return greedy(
        name,
        'peakEwmaMs',
        (f) => (f.peakEwmaMs === undefined || f.inflight === undefined ? undefined : f.peakEwmaMs * (f.inflight + 1)),
        `the candidate with the lower logged peakEwmaMs × (inflight + 1) (ties: a fair coin)${soft}`,
        epsilon,
      )
    case 'adaptive':
      if (epsilon > 0) throw new Error('adaptive is evaluated as logged: epsilon does not apply')
      return {
        name,
        description: 'adaptive as logged: the logged choice probabilities (every weight is 1: an on-policy check)',
        feature: null,
        probabilityOfFirst: (d) => (d.candidates[0].id === d.chosen ? d.choiceProbability : 1 - d.choiceProbability),
      }
    default:
      throw new Error(`unknown policy "${name}" (known: ${POLICY_NAMES.join(', ')})`)
  }
}

function greedy(
  name: string,
  feature: string,
  cost: (f: Record<string, number>) => number | undefined,
  description: string,
  epsilon: number,
): CandidatePolicy {
  return {
    name,
    description,
    feature,
    probabilityOfFirst(d) {
      const a = cost(d.candidates[0].features)
      const b = cost(d.candidates[1].features)
      if (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b)) return Number.NaN
      const hard = a < b ? 1 : a > b ? 0 : 0.5
      return (1 - epsilon) * hard + epsilon * 0.5
    },
  }
}
