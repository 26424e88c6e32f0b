/**
 * Throughput benchmark: autocannon against the backend directly, two baseline proxies and Baton (each
 * policy, the shipped defaults, and optionally the Baton of another checkout), in interleaved rounds of the
 * same run, each proxy alone in its own process. Prints the median over rounds of rps, latency and the
 * proxy's CPU time per request, and each contender's rps and CPU per request as ratios of the baselines
 * (and of baton-base). See bench/README.md.
 */
import { parseBenchArgs, USAGE, type BenchArgs } from './lib/args.js'
import { childCpuSeconds, killAllChildrenNow, startBackend, startProxy, stopAllChildren, stopChild } from './lib/children.js'
import { runLoad, type Measurement } from './lib/load.js'
import type { ProxyName } from './lib/proxies.js'
import { renderJson, renderText, type ContenderResult, type RunResult } from './lib/throughput-report.js'

/** Backend ports (one process): two, so Baton's policy really picks instead of taking its 1-endpoint short-cut. */
const BACKEND_PORTS = 2
type ContenderName = 'direct' | ProxyName
/** Round 1's order; later rounds rotate it. 'direct' is autocannon straight at the backend: the ceiling for this machine. */
const CONTENDERS: readonly ContenderName[] = [
  'direct',
  'undici-minimal',
  'http-proxy',
  'baton-defaults',
  'baton-round_robin',
  'baton-least_request',
  'baton-adaptive',
]
/** Allowance per contender run and for the backend beyond the load itself (fork, ready, exit), seconds. */
const STARTUP_ALLOWANCE_SEC = 15

async function main(): Promise<void> {
  const args = parseArgsOrExit()
  const contenders: readonly ContenderName[] = args.baselineDist === null ? CONTENDERS : [...CONTENDERS, 'baton-base']
  const watchdog = guardRun(runBudgetSec(args, contenders.length))
  try {
    const backend = await startBackend(BACKEND_PORTS)
    const runs = new Map<ContenderName, RunResult[]>(contenders.map((name) => [name, []]))
    const notes = new Map<ContenderName, string>()
    const orders: ContenderName[][] = []
    for (let round = 1; round <= args.rounds; round++) {
      const order = roundOrder(contenders, round, args.rounds)
      orders.push(order)
      progress(`round ${round}/${args.rounds}: ${order.join(', ')}`)
      for (const [i, name] of order.entries()) {
        const { run, note } = await measureContender(name, backend.urls, args, round, i + 1)
        runs.get(name)!.push(run)
        if (note !== null) notes.set(name, note)
      }
    }
    const results: ContenderResult[] = contenders.map((name) => ({ name, runs: runs.get(name)!, note: notes.get(name) ?? null }))
    const info = { args, backendPorts: BACKEND_PORTS, orders }
    process.stdout.write(`${(args.json ? renderJson : renderText)(results, info)}\n`)
  } finally {
    clearTimeout(watchdog)
    await stopAllChildren()
  }
}

/**
 * Round `round` (1-based) starts `(round - 1) × n / rounds` places further into the list, so over the rounds
 * each contender runs early, midway and late, and a slow drift of the machine (another job starting, thermal
 * throttling) does not land on the same contenders every time.
 */
function roundOrder(contenders: readonly ContenderName[], round: number, rounds: number): ContenderName[] {
  const shift = Math.floor(((round - 1) * contenders.length) / rounds) % contenders.length
  return [...contenders.slice(shift), ...contenders.slice(0, shift)]
}

async function measureContender(
  name: ContenderName,
  backendUrls: readonly string[],
  args: BenchArgs,
  round: number,
  position: number,
): Promise<{ run: RunResult; note: string | null }> {
  progress(`${name} (round ${round}): ${args.warmupSec} s warm-up, ${args.durationSec} s measured`)
  try {
    if (name === 'direct') {
      const { m } = await warmThenMeasure(backendUrls[0]!, args, null)
      return { run: { round, position, measurement: m, cpuSec: null, cpuUsPerRequest: null, failure: null }, note: null }
    }
    const proxy = await startProxy(name, backendUrls, args.baselineDist)
    if (proxy.note !== null) progress(`${name}: ${proxy.note}`)
    try {
      const { m, cpuSec } = await warmThenMeasure(proxy.urls[0]!, args, proxy.pid)
      const cpuUsPerRequest = cpuSec === null || m.served2xx === 0 ? null : (cpuSec * 1e6) / m.served2xx
      return { run: { round, position, measurement: m, cpuSec, cpuUsPerRequest, failure: null }, note: proxy.note }
    } finally {
      await stopChild(proxy.pid)
    }
  } catch (err) {
    progress(`${name} failed: ${(err as Error).message}`)
    const failure = (err as Error).message.split('\n')[0] ?? 'unknown'
    return { run: { round, position, measurement: null, cpuSec: null, cpuUsPerRequest: null, failure }, note: null }
  }
}

/**
 * Warm-up (discarded), then the measured run with the proxy's CPU time read just before it starts and
 * just after it ends. `pid` null (direct): no proxy, no CPU figure.
 */
async function warmThenMeasure(url: string, args: BenchArgs, pid: number | null): Promise<{ m: Measurement; cpuSec: number | null }> {
  await runLoad(url, { connections: args.connections, durationSec: args.warmupSec })
  const before = pid === null ? null : await childCpuSeconds(pid)
  const m = await runLoad(url, { connections: args.connections, durationSec: args.durationSec })
  const after = pid === null ? null : await childCpuSeconds(pid)
  return { m, cpuSec: before === null || after === null ? null : after - before }
}

/** The longest a healthy run can take; past it the watchdog kills everything. */
function runBudgetSec(args: BenchArgs, contenders: number): number {
  return args.rounds * contenders * (args.warmupSec + args.durationSec + STARTUP_ALLOWANCE_SEC) + STARTUP_ALLOWANCE_SEC
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
