import { readFileSync } from 'node:fs'
import { DEFAULT_EVALUATE_OPTIONS, evaluateLog, formatEvaluation } from './evaluate.js'

/** `baton evaluate`'s options as commander hands them over. */
export interface EvaluateCommandOptions {
  log: string
  policy: string
  option: string[]
  resamples: string
  seed: string
  minPropensity: string
  json?: boolean
}

/** Collects repeated `--option k=v`. */
export function collectOption(value: string, previous: string[]): string[] {
  return [...previous, value]
}

/** Reads the log, evaluates the candidate and prints the report (or JSON). Throws with one clear message. */
export function runEvaluate(opts: EvaluateCommandOptions, out: (text: string) => void): void {
  const options: Record<string, string> = {}
  for (const kv of opts.option) {
    const eq = kv.indexOf('=')
    if (eq <= 0) throw new Error(`--option takes key=value, not "${kv}"`)
    options[kv.slice(0, eq)] = kv.slice(eq + 1)
  }
  const resamples = Number(opts.resamples)
  if (!Number.isInteger(resamples) || resamples < 10) throw new Error('--resamples must be an integer ≥ 10')
  const seed = Number(opts.seed)
  if (!Number.isInteger(seed)) throw new Error('--seed must be an integer')
  const minPropensity = Number(opts.minPropensity)
  if (!(minPropensity > 0 && minPropensity < 1)) throw new Error('--min-propensity must be in (0, 1)')
  let text: string
  try {
    text = readFileSync(opts.log, 'utf8')
  } catch (err) {
    throw new Error(`cannot read ${opts.log}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
  }
  const ev = evaluateLog(text, { ...DEFAULT_EVALUATE_OPTIONS, policy: opts.policy, options, resamples, seed, minPropensity })
  out(opts.json === true ? `${JSON.stringify({ log: opts.log, ...ev }, null, 2)}\n` : formatEvaluation(opts.log, ev))
}
