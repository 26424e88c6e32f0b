import { join } from 'node:path'
import type { AdaptivePolicyConfig, PolicyConfig, PolicyName } from '../../config/types.js'
import type { Clock } from '../../util/clock.js'
import type { Rng } from '../../util/rng.js'
import { AdaptivePolicy } from './adaptive.js'
import { HashPolicy } from './hash.js'
import { LeastRequestPolicy } from './least-request.js'
import { PeakEwmaPolicy } from './peak-ewma.js'
import { RandomPolicy } from './random.js'
import { RoundRobinPolicy } from './round-robin.js'
import type { AdaptiveModelManager } from '../../model/adaptive-manager.js'
import type { ProbeTarget } from '../../model/probe-target.js'
import type { Policy } from '../types.js'

export interface PolicyDeps {
  clock: Clock
  rng: Rng
  /** Wall clock, ms since the epoch: model version timestamps. */
  wallClock?: () => number
  /** The upstream's name: each upstream's model is kept in its own folder under stateDir. */
  upstream?: string
}

/**
 * A policy and, when it learns, the manager of what it learned (versions, rollback, persistence): the cluster
 * hands the manager to warm start, shutdown and the admin API without asking which policy it holds.
 */
export interface BuiltPolicy {
  readonly policy: Policy
  readonly model: AdaptiveModelManager | null
  /** What timed model probes ask and tell (health/model-prober.ts); null when the policy wants none. */
  readonly probes: ProbeTarget | null
}

type Builder<N extends PolicyName> = (config: Extract<PolicyConfig, { name: N }>, deps: PolicyDeps) => BuiltPolicy

const stateless = (policy: Policy): BuiltPolicy => ({ policy, model: null, probes: null })

/** One line per policy, keyed by the name YAML uses. */
const BUILDERS: { [N in PolicyName]: Builder<N> } = {
  round_robin: () => stateless(new RoundRobinPolicy()),
  random: (_c, deps) => stateless(new RandomPolicy(deps.rng)),
  least_request: (c, deps) => stateless(new LeastRequestPolicy(c, deps.rng)),
  peak_ewma: (c, deps) => stateless(new PeakEwmaPolicy({ ...c, ...deps })),
  adaptive: (c, deps) => {
    const policy = new AdaptivePolicy(ownStateDir(c, deps.upstream), deps)
    return { policy, model: policy.manager, probes: policy.probes }
  },
  // The fallback (for requests without a key) is built here too; a learned one brings its model manager.
  hash: (c, deps) => {
    const fallback = buildPolicy(c.fallback, deps)
    return { policy: new HashPolicy(c, fallback.policy), model: fallback.model, probes: fallback.probes }
  },
}

const POLICY_NAMES = Object.keys(BUILDERS) as readonly PolicyName[]

export function buildPolicy(config: PolicyConfig, deps: PolicyDeps): BuiltPolicy {
  const build = (BUILDERS as Record<string, Builder<PolicyName> | undefined>)[config.name]
  if (build === undefined) throw new Error(`unknown policy "${String(config.name)}"; known: ${POLICY_NAMES.join(', ')}`)
  return build(config, deps)
}

/** The policy alone (benchmarks and tests that need no model manager). */
export function createPolicy(config: PolicyConfig, deps: PolicyDeps): Policy {
  return buildPolicy(config, deps).policy
}

/** stateDir/<upstream>: upstreams sharing one configured stateDir must not overwrite each other's model. */
function ownStateDir(config: AdaptivePolicyConfig, upstream: string | undefined): AdaptivePolicyConfig {
  if (config.stateDir === null || upstream === undefined) return config
  return { ...config, stateDir: join(config.stateDir, encodeURIComponent(upstream)) }
}
