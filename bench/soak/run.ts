/**
 * CLI of the soak (see README.md in this folder):
 *   node dist/bench/soak/run.js --seconds 600 --out docs/soak.svg
 * Prints the summary table to stdout (progress to stderr), writes the curves to --out, exits 0 when every
 * series is steady and no GET failed, 1 otherwise, 2 on a bad flag.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { parseArgs } from 'node:util'
import { DEFAULT_SOAK, runSoak, type SoakOptions } from './soak.js'
import { soakSummary } from './summary.js'
import { renderSoakSvg } from './svg-plot.js'

const USAGE = `usage: node dist/bench/soak/run.js [--seconds 600] [--out docs/soak.svg] [--seed N] [--policy adaptive] [--max-failing 1] [--budget-floor 8]
  --seconds S      how long the load runs (default 600); growth is judged over the second half
  --out FILE       the SVG of the curves (default docs/soak.svg)
  --seed N         seed of the fault schedule and the traffic mix (default: from the clock, printed)
  --policy NAME    Baton's balancing policy (default ${DEFAULT_SOAK.policy})
  --max-failing K  backends failing at once, at most (default ${DEFAULT_SOAK.maxFailing} of ${DEFAULT_SOAK.backends})
  --budget-floor N Baton's retry.budgetMinConcurrent (default ${DEFAULT_SOAK.retryBudgetFloor}, the soak's concurrency; "default": Baton's 3)`

/** Past the load: Baton's start, the last requests (client deadline 5 s), the drain and the writing, ms. */
const OVERHEAD_MS = 60_000

interface Cli {
  readonly options: SoakOptions
  readonly out: string
}

function parseCli(argv: readonly string[]): Cli {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: {
      seconds: { type: 'string', default: '600' },
      out: { type: 'string', default: 'docs/soak.svg' },
      seed: { type: 'string' },
      policy: { type: 'string', default: DEFAULT_SOAK.policy },
      'max-failing': { type: 'string', default: String(DEFAULT_SOAK.maxFailing) },
      'budget-floor': { type: 'string', default: String(DEFAULT_SOAK.retryBudgetFloor) },
    },
  })
  const seconds = positiveInt('--seconds', values.seconds)
  const maxFailing = positiveInt('--max-failing', values['max-failing'])
  if (maxFailing >= DEFAULT_SOAK.backends) throw new Error(`--max-failing must leave a backend healthy (under ${DEFAULT_SOAK.backends})`)
  return {
    out: values.out,
    options: {
      ...DEFAULT_SOAK,
      durationMs: seconds * 1_000,
      seed: values.seed === undefined ? Date.now() % 1_000_000 : positiveInt('--seed', values.seed),
      policy: values.policy,
      maxFailing,
      retryBudgetFloor: values['budget-floor'] === 'default' ? null : positiveInt('--budget-floor', values['budget-floor']),
      log: (line) => console.error(line),
    },
  }
}

function positiveInt(flag: string, text: string): number {
  const n = Number(text)
  if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} must be a positive integer, got "${text}"`)
  return n
}

async function main(): Promise<number> {
  let cli: Cli
  try {
    cli = parseCli(process.argv.slice(2))
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`)
    return 2
  }
  // Bounded whatever happens: past its worst case the process exits, and Baton's child with it (baton-child.ts).
  const limitMs = cli.options.durationMs + OVERHEAD_MS
  setTimeout(() => {
    console.error(`soak exceeded its ${limitMs / 1_000} s bound: stopping`)
    process.exit(1)
  }, limitMs).unref()
  process.once('SIGINT', () => process.exit(130))
  const result = await runSoak(cli.options)
  await mkdir(dirname(cli.out), { recursive: true })
  await writeFile(cli.out, renderSoakSvg(result))
  console.log(soakSummary(result))
  console.log(`curves written to ${cli.out}`)
  return result.passed ? 0 : 1
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err)
    process.exit(1)
  },
)
