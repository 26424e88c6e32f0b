/**
 * Throughput benchmark: autocannon against the backend directly, two baseline proxies and Baton, one
 * after the other in the same run, each proxy alone in its own process. Prints rps, latency and each
 * contender's rps as a ratio of the baselines. See bench/README.md.
 */
import { parseBenchArgs, USAGE, type BenchArgs } from './lib/args.js'
import { killAllChildrenNow, startBackend, startProxy, stopAllChildren, stopChild } from './lib/children.js'
import { runLoad } from './lib/load.js'
import type { ProxyName } from './lib/proxies.js'
import { renderJson, renderText, type ContenderResult } from './lib/throughput-report.js'

/** Backend ports (one process): two, so Baton's policy really picks instead of taking its 1-endpoint short-cut. */
const BACKEND_PORTS = 2
/** Run order. 'direct' is autocannon straight at the backend: the ceiling for this machine. */
const CONTENDERS: readonly ('direct' | ProxyName)[] = [
  'direct',
  'undici-minimal',
  'http-proxy',
  'baton-round_robin',
  'baton-least_request',
  'baton-adaptive',
]
/** Allowance per contender and for the backend beyond the load itself (fork, ready, exit), seconds. */
const STARTUP_ALLOWANCE_SEC = 20

async function main(): Promise<void> {
  const args = parseArgsOrExit()
  const watchdog = guardRun(runBudgetSec(args))
  try {
    const backend = await startBackend(BACKEND_PORTS)
    const results: ContenderResult[] = []
    for (const name of CONTENDERS) results.push(await measureContender(name, backend.urls, args))
    process.stdout.write(`${(args.json ? renderJson : renderText)(results, { args, backendPorts: BACKEND_PORTS })}\n`)
  } finally {
    clearTimeout(watchdog)
    await stopAllChildren()
  }
}

async function measureContender(name: 'direct' | ProxyName, backendUrls: readonly string[], args: BenchArgs): Promise<ContenderResult> {
  progress(`${name}: ${args.warmupSec} s warm-up, ${args.durationSec} s measured`)
  try {
    if (name === 'direct') return await measure(name, backendUrls[0]!, args)
    const proxy = await startProxy(name, backendUrls)
    try {
      return await measure(name, proxy.urls[0]!, args)
    } finally {
      await stopChild(proxy.pid)
    }
  } catch (err) {
    progress(`${name} failed: ${(err as Error).message}`)
    return { name, measurement: null, failure: (err as Error).message.split('\n')[0] ?? 'unknown' }
  }
}

async function measure(name: string, url: string, args: BenchArgs): Promise<ContenderResult> {
  await runLoad(url, { connections: args.connections, durationSec: args.warmupSec })
  const measurement = await runLoad(url, { connections: args.connections, durationSec: args.durationSec })
  return { name, measurement, failure: null }
}

/** The longest a healthy run can take; past it the watchdog kills everything. */
function runBudgetSec(args: BenchArgs): number {
  return CONTENDERS.length * (args.warmupSec + args.durationSec + STARTUP_ALLOWANCE_SEC) + STARTUP_ALLOWANCE_SEC
}

/** Ctrl-C, SIGTERM and the watchdog all end the run the same way: every child killed by pid, then exit. */
function guardRun(budgetSec: number): NodeJS.Timeout {
  const abort = (why: string, code: number): void => {
    progress(`${why}: killing bench processes`)
    killAllChildrenNow()
    process.exit(code)
  }
  process.once('SIGINT', () => abort('SIGINT', 130))
  process.once('SIGTERM', () => abort('SIGTERM', 143))
  const watchdog = setTimeout(() => abort(`run exceeded its ${budgetSec} s budget`, 1), budgetSec * 1000)
  watchdog.unref()
  return watchdog
}

function parseArgsOrExit(): BenchArgs {
  try {
    return parseBenchArgs(process.argv.slice(2))
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`)
    process.exit(2)
  }
}

/** Progress goes to stderr so stdout holds only the table (or the JSON). */
function progress(line: string): void {
  process.stderr.write(`[bench] ${line}\n`)
}

await main()
