import { parseArgs } from 'node:util'
import { ALL_MODES, DEFAULTS_CELL, RUN_MODES, type RunMode } from './proxy-config.js'
import { SCENARIOS } from './scenarios.js'

/** Every policy Baton has or is getting; ones this build does not know are skipped at run time. */
export const ALL_POLICIES = ['round_robin', 'least_request', 'peak_ewma', 'adaptive']
const DEFAULT_DURATION_S = 30
const DEFAULT_RATE = 500

export const USAGE = `usage: node dist/bench/scenarios/run.js [options]
  --scenarios a,b   subset of: ${SCENARIOS.map((s) => s.name).join(', ')} (default: all)
  --policies a,b    policies to compare (default: ${ALL_POLICIES.join(',')})
  --mode M          policy (the policy alone), healing (retries and health on), both (default),
                    defaults (the shipped defaults only, config read from YAML; one cell per scenario,
                    --policies does not apply) or all (both, then defaults)
  --duration S      measured seconds per scenario x mode x policy (default ${DEFAULT_DURATION_S}); timelines stretch to fit
  --rate N          requests per second, open loop (default ${DEFAULT_RATE})
  --seed N          seed of the backends' service times and failures (default 1)
  --json FILE       also write every result to FILE
  --attempts N      runs of a cell at most while its send lag shows a busy machine (default 2; 1: never rerun)
  --help            this text`

export interface RunOptions {
  readonly scenarios: readonly string[]
  readonly policies: readonly string[]
  /** In run order: policy before healing, so each healing table can stand next to its policy-alone numbers. */
  readonly modes: readonly RunMode[]
  readonly durationMs: number
  readonly rate: number
  readonly seed: number
  /** Runs of one cell at most: a run whose send lag shows a busy machine is repeated until this many. */
  readonly attempts: number
  /** null: no JSON file. */
  readonly jsonPath: string | null
  readonly help: boolean
}

/** Parses run.ts's flags; throws with a message fit for the user on a bad value. */
export function parseRunOptions(argv: readonly string[]): RunOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      scenarios: { type: 'string' },
      policies: { type: 'string' },
      mode: { type: 'string', default: 'both' },
      duration: { type: 'string', default: String(DEFAULT_DURATION_S) },
      rate: { type: 'string', default: String(DEFAULT_RATE) },
      seed: { type: 'string', default: '1' },
      json: { type: 'string' },
      attempts: { type: 'string', default: '2' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  })
  return {
    scenarios: values.scenarios === undefined ? SCENARIOS.map((s) => s.name) : knownScenarios(list(values.scenarios)),
    policies: values.policies === undefined ? ALL_POLICIES : list(values.policies),
    modes: modes(values.mode),
    durationMs: 1_000 * positive('--duration', values.duration),
    rate: positive('--rate', values.rate),
    seed: Math.floor(positive('--seed', values.seed)),
    attempts: Math.floor(positive('--attempts', values.attempts)),
    jsonPath: values.json ?? null,
    help: values.help,
  }
}

function list(csv: string): string[] {
  return csv
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
}

function knownScenarios(names: string[]): string[] {
  const unknown = names.filter((n) => !SCENARIOS.some((s) => s.name === n))
  if (unknown.length > 0) throw new Error(`unknown scenario(s) ${unknown.join(', ')}; known: ${SCENARIOS.map((s) => s.name).join(', ')}`)
  return names
}

function modes(text: string): readonly RunMode[] {
  if (text === 'both') return RUN_MODES
  if (text === 'all') return ALL_MODES
  const mode = ALL_MODES.find((m) => m === text)
  if (mode === undefined) throw new Error(`--mode wants policy, healing, both, defaults or all, got "${text}"`)
  return [mode]
}

/** The cells of one scenario in `mode`: one per --policies name, or the single defaults cell. */
export function cellPolicies(mode: RunMode, options: RunOptions): readonly string[] {
  return mode === 'defaults' ? [DEFAULTS_CELL] : options.policies
}

function positive(flag: string, text: string): number {
  const n = Number(text)
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${flag} wants a positive number, got "${text}"`)
  return n
}
