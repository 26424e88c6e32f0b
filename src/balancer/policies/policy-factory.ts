import { join } from 'node:path'
import type { AdaptivePolicyConfig, PolicyConfig, PolicyName } from '../../config/types.js'
import type { Clock } from '../../util/clock.js'
import type { Rng } from '../../util/rng.js'
import { AdaptivePolicy } from './adaptive.js'
import { LeastRequestPolicy } from './least-request.js'
import { PeakEwmaPolicy } from './peak-ewma.js'
import { RandomPolicy } from './random.js'
import { RoundRobinPolicy } from './round-robin.js'
import type { Policy } from '../types.js'

export interface PolicyDeps {
  clock: Clock
  rng: Rng
  /** Wall clock, ms since the epoch: model version timestamps. */
  wallClock?: () => number
  /** The upstream's name: each upstream's model is kept in its own folder under stateDir. */
  upstream?: string
}

type Builder<N extends PolicyName> = (config: Extract<PolicyConfig, { name: N }>, deps: PolicyDeps) => Policy

/** One line per policy, keyed by the name YAML uses. */
const BUILDERS: { [N in PolicyName]: Builder<N> } = {
  round_robin: () => new RoundRobinPolicy(),
  random: (_c, deps) => new RandomPolicy(deps.rng),
  least_request: (c, deps) => new LeastRequestPolicy(c, deps.rng),
  peak_ewma: (c, deps) => new PeakEwmaPolicy({ ...c, ...deps }),
  adaptive: (c, deps) => new AdaptivePolicy(ownStateDir(c, deps.upstream), deps),
}

const POLICY_NAMES = Object.keys(BUILDERS) as readonly PolicyName[]

export function createPolicy(config: PolicyConfig, deps: PolicyDeps): Policy {
  const build = (BUILDERS as Record<string, Builder<PolicyName> | undefined>)[config.name]
  if (build === undefined) throw new Error(`unknown policy "${String(config.name)}"; known: ${POLICY_NAMES.join(', ')}`)
  return build(config, deps)
}

/** stateDir/<upstream>: upstreams sharing one configured stateDir must not overwrite each other's model. */
function ownStateDir(config: AdaptivePolicyConfig, upstream: string | undefined): AdaptivePolicyConfig {
  if (config.stateDir === null || upstream === undefined) return config
  return { ...config, stateDir: join(config.stateDir, encodeURIComponent(upstream)) }
}
