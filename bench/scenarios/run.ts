/**
 * The scenario benchmark: every chosen policy through every chosen scenario, each pair with fresh
 * backends and a fresh Baton, open-loop load from this process. Prints one table per scenario.
 * See README.md in this folder.
 */
import { writeFile } from 'node:fs/promises'
import { performance } from 'node:perf_hooks'
import { killBackendHosts } from './backend-fleet.js'
import { parseRunOptions, USAGE, type RunOptions } from './cli-options.js'
import { scenarioReport, type Skipped } from './report.js'
import { CLIENT_TIMEOUT_MS, runCell, WARMUP_MS, type CellResult } from './run-cell.js'
import { scenarioNamed } from './scenarios.js'

/** Per scenario × policy, beyond warm-up, load and the last timeouts: fork, listen, drain, close, ms. */
const CELL_OVERHEAD_MS = 15_000

interface ScenarioResults {
  readonly scenario: string
  readonly summary: string
  readonly cells: readonly CellResult[]
  readonly skipped: readonly Skipped[]
}

async function main(): Promise<number> {
  let options: RunOptions
  try {
    options = parseRunOptions(process.argv.slice(2))
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`)
    return 2
  }
  if (options.help) {
    console.log(USAGE)
    return 0
  }
  armWatchdog(options)
  process.once('SIGINT', () => stopEverything('interrupted', 130))
  const startedAt = performance.now()
  console.log(`scenarios ${options.scenarios.join(', ')} | policies ${options.policies.join(', ')} | ${options.durationMs / 1_000} s at ${options.rate} req/s each, seed ${options.seed}\n`)
  const results = await runAll(options)
  const totalS = (performance.now() - startedAt) / 1_000
  console.log(`whole run: ${totalS.toFixed(0)} s`)
  if (options.jsonPath !== null) {
    await writeFile(options.jsonPath, JSON.stringify({ options, totalS, results }, null, 2) + '\n')
    console.log(`results written to ${options.jsonPath}`)
  }
  return 0
}

async function runAll(options: RunOptions): Promise<ScenarioResults[]> {
  const rejected = new Map<string, string>() // policy → Baton's error: known after its first try
  const results: ScenarioResults[] = []
  for (const name of options.scenarios) {
    const scenario = scenarioNamed(name)
    const cells: CellResult[] = []
    const skipped: Skipped[] = []
    for (const policy of options.policies) {
      const known = rejected.get(policy)
      if (known !== undefined) {
        skipped.push({ policy, reason: known })
        continue
      }
      console.error(`running ${name} with ${policy}...`)
      const outcome = await runCell(scenario, policy, options)
      if (outcome.kind === 'measured') {
        cells.push(outcome.result)
        continue
      }
      console.error(`skipping policy ${policy}: Baton rejected it: ${outcome.reason}`)
      rejected.set(policy, outcome.reason)
      skipped.push({ policy, reason: outcome.reason })
    }
    console.log(scenarioReport(scenario, cells, skipped))
    results.push({ scenario: name, summary: scenario.summary, cells, skipped })
  }
  return results
}

/** The whole run is bounded: past its worst case, kill the backends and quit. */
function armWatchdog(options: RunOptions): void {
  const perCellMs = WARMUP_MS + options.durationMs + CLIENT_TIMEOUT_MS + CELL_OVERHEAD_MS
  const limitMs = options.scenarios.length * options.policies.length * perCellMs
  setTimeout(() => stopEverything(`run exceeded its ${Math.round(limitMs / 1_000)} s bound`, 1), limitMs).unref()
}

function stopEverything(why: string, exitCode: number): void {
  console.error(`${why}: killing backend hosts`)
  killBackendHosts()
  process.exit(exitCode)
}

main().then(
  (code) => {
    killBackendHosts()
    process.exit(code)
  },
  (err: unknown) => {
    console.error(err)
    killBackendHosts()
    process.exit(1)
  },
)
