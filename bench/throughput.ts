/**
 * Throughput benchmark: autocannon against the backend directly, two baseline proxies and Baton (each
 * policy, the shipped defaults, and optionally the Baton of another checkout), then the minimal undici proxy
 * and Baton again behind a TLS listener, in interleaved rounds of the same run, each proxy alone in its own
 * process. Prints the median over rounds of rps, latency and the proxy's CPU time per request, and each
 * contender's rps and CPU per request as ratios of the baselines (and of baton-base; the TLS rows of
 * undici-minimal-tls). See bench/README.md.
 */
import { parseBenchArgs, USAGE, type BenchArgs } from './lib/args.js'
import { CERTIFICATE_DESCRIPTION, throwAwayCertificate, type TlsFiles } from './lib/certificate.js'
import { childCpuSeconds, killAllChildrenNow, startBackend, startProxy, stopAllChildren, stopChild } from './lib/children.js'
import { runLoad, type Measurement } from './lib/load.js'
import { isProxyName, TLS_PROXIES, type ContenderContext, type ProxyName } from './lib/proxies.js'
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
  'baton-no-adaptive-limit',
  // TLS listeners, https from autocannon, plain HTTP to the backend: their own table, baton-tls ÷ undici-minimal-tls.
  'undici-minimal-tls',
  'baton-tls',
]
/** Allowance per contender run and for the backend beyond the load itself (fork, ready, exit), seconds. */
const STARTUP_ALLOWANCE_SEC = 15

async function main(): Promise<void> {
  const args = parseArgsOrExit()
  const contenders = contendersOrExit(args)
  const watchdog = guardRun(runBudgetSec(args, contenders.length))
  try {
    const tls = contenders.some(isTlsContender) ? benchCertificate() : null
    const context: ContenderContext = { baselineDist: args.baselineDist, tls: tls instanceof Error ? null : tls }
    const backend = await startBackend(BACKEND_PORTS)
    const runs = new Map<ContenderName, RunResult[]>(contenders.map((name) => [name, []]))
    const notes = new Map<ContenderName, string>()
    const orders: ContenderName[][] = []
    for (let round = 1; round <= args.rounds; round++) {
      const order = roundOrder(contenders, round, args.rounds)
      orders.push(order)
      progress(`round ${round}/${args.rounds}: ${order.join(', ')}`)
      for (const [i, name] of order.entries()) {
        const { run, note } =
          isTlsContender(name) && tls instanceof Error
            ? { run: failedRun(round, i + 1, tls.message), note: null }
            : await measureContender(name, backend.urls, args, context, round, i + 1)
        runs.get(name)!.push(run)
        if (note !== null) notes.set(name, note)
      }
    }
    const results: ContenderResult[] = contenders.map((name) => ({ name, runs: runs.get(name)!, note: notes.get(name) ?? null }))
    const info = { args, backendPorts: BACKEND_PORTS, orders, tlsCertificate: context.tls === null ? null : CERTIFICATE_DESCRIPTION }
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
  context: ContenderContext,
  round: number,
  position: number,
): Promise<{ run: RunResult; note: string | null }> {
  progress(`${name} (round ${round}): ${args.warmupSec} s warm-up, ${args.durationSec} s measured`)
  try {
    if (name === 'direct') {
      const { m } = await warmThenMeasure(backendUrls[0]!, args, null)
      return { run: { round, position, measurement: m, cpuSec: null, cpuUsPerRequest: null, failure: null }, note: null }
    }
    const proxy = await startProxy(name, backendUrls, context)
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
    return { run: failedRun(round, position, (err as Error).message.split('\n')[0] ?? 'unknown'), note: null }
  }
}

function failedRun(round: number, position: number, failure: string): RunResult {
  return { round, position, measurement: null, cpuSec: null, cpuUsPerRequest: null, failure }
}

/**
 * The TLS contenders' certificate, made now and removed when this process exits (certificate.ts); the Error
 * when openssl could not make it, so that those contenders fail alone and the others still run.
 */
function benchCertificate(): TlsFiles | Error {
  try {
    const files = throwAwayCertificate()
    progress(`TLS certificate: ${CERTIFICATE_DESCRIPTION}`)
    return files
  } catch (err) {
    progress(`TLS contenders will fail: ${(err as Error).message}`)
    return err as Error
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

/**
 * The default list (plus baton-base with --baseline-dist), or --contenders' names in their order (plus
 * baton-base with --baseline-dist when the list leaves it out).
 */
function selectContenders(args: BenchArgs): ContenderName[] {
  if (args.contenders === null) return args.baselineDist === null ? [...CONTENDERS] : [...CONTENDERS, 'baton-base']
  const names = args.contenders.map((name): ContenderName => {
    if (name !== 'direct' && !isProxyName(name)) throw new Error(`--contenders: unknown contender "${name}" (known: ${[...CONTENDERS, 'baton-base'].join(', ')})`)
    if (name === 'baton-base' && args.baselineDist === null) throw new Error('--contenders: baton-base needs --baseline-dist')
    return name
  })
  return args.baselineDist !== null && !names.includes('baton-base') ? [...names, 'baton-base'] : names
}

function isTlsContender(name: ContenderName): boolean {
  return (TLS_PROXIES as readonly string[]).includes(name)
}

function contendersOrExit(args: BenchArgs): ContenderName[] {
  try {
    return selectContenders(args)
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`)
    process.exit(2)
  }
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
