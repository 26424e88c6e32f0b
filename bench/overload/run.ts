/**
 * Overload bench (npm run bench:overload): backends of fixed capacity, an open-loop load stepping from 50 % to
 * 300 % of capacity and back, plus a retry-storm client; Baton with protection off (no adaptive limit, breakers
 * out of reach: Baton before admission control) and on (the shipped defaults), one after the other in the same
 * run, each in its own process; and, when an nginx binary is installed, nginx with a static limit of the
 * backend's capacity (nginx-overload.ts), the same load. Then the cost of a shed answer: closed-loop load against a Baton whose upstream
 * is full (maxRequests 1, one request held), every answer a prebuilt 503, against proxied requests.
 * Prints the table; writes the plot (--out, default docs/overload.svg). --seconds sets each column's run (default 60).
 */
import { writeFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { request } from 'undici'
import { forkReady, killAllChildrenNow, stopAllChildren, stopChild, type BenchChild } from '../lib/children.js'
import { procCpuSeconds } from '../lib/cpu.js'
import { runLoad } from '../lib/load.js'
import { CLIENT_TIMEOUT_MS, runOpenLoop, STORM_ATTEMPTS, type Phase } from './open-loop.js'
import { findNginx, startNginx } from './nginx-overload.js'
import { renderOverloadSvg } from './svg-plot.js'
import { summarise, type AdmissionSample, type ModeSummary, type Profile } from './summary.js'

/**
 * One backend: the bench measures admission, not balancing (with two identical backends the default adaptive
 * policy's early imbalance on this 2-core machine overloaded one of them at 50 % load). 16 at once × 100 ms =
 * 160 rps: a long service time keeps the timer jitter of a machine shared by several jobs small beside it,
 * and 300 % of it (480 rps) leaves the load generator and Baton most of a core.
 */
const BACKENDS = 1
/** Per backend: requests in service at once, and the service time of each. */
const CAPACITY = 16
const SERVICE_MS = 100
const CAPACITY_RPS = (BACKENDS * CAPACITY * 1000) / SERVICE_MS
/** The storm client's rate, as a share of capacity, at every load level. */
const STORM_SHARE = 0.2
const SHED_COST_SECONDS = 3

interface Args {
  readonly seconds: number
  readonly out: string
}

function parse(): Args {
  const { values } = parseArgs({ options: { seconds: { type: 'string', default: '60' }, out: { type: 'string', default: 'docs/overload.svg' } } })
  const seconds = Number(values.seconds)
  if (!Number.isFinite(seconds) || seconds < 12 || seconds > 80) throw new Error('--seconds must be between 12 and 80 (each column runs that long)')
  return { seconds: Math.round(seconds), out: values.out }
}

/** 50 % for the first sixth, 300 % for half, 50 % for the last third. */
function phases(seconds: number): { phases: Phase[]; profile: Profile } {
  const up = Math.round(seconds / 6)
  const down = up + Math.round(seconds / 2)
  const half = CAPACITY_RPS * 0.5
  return {
    phases: [
      { startS: 0, endS: up, rate: half },
      { startS: up, endS: down, rate: CAPACITY_RPS * 3 },
      { startS: down, endS: seconds, rate: half },
    ],
    profile: { capacityRps: CAPACITY_RPS, stepUpS: up, stepDownS: down, warmupS: Math.min(2, up / 2) },
  }
}

function startCapacityBackend(): Promise<BenchChild> {
  return forkReady('../overload/capacity-backend.js', [String(BACKENDS), String(CAPACITY), String(SERVICE_MS)])
}

/** What a column of the table runs against: Baton in one of its modes, or nginx. */
interface Target {
  readonly mode: string
  readonly label: string
  readonly pid: number
  readonly url: string
  /** Baton's admin API, sampled once a second for the limit and queue; null for nginx. */
  readonly adminUrl: string | null
  /** What to remove once it stopped (nginx's prefix folder). */
  readonly cleanUp: (() => void) | null
}

async function startBatonTarget(mode: string, backend: BenchChild): Promise<Target> {
  const baton = await forkReady('../overload/baton-overload.js', [mode, ...backend.urls])
  const [url, adminUrl] = baton.urls
  return { mode, label: mode === 'on' ? 'protection on (defaults)' : `protection ${mode}`, pid: baton.pid, url, adminUrl, cleanUp: null }
}

/** nginx with a static limit of the backend's true capacity (nginx-overload.ts says why that one). */
async function startNginxTarget(binary: string, backend: BenchChild): Promise<Target> {
  const nginx = await startNginx(binary, backend.urls[0], CAPACITY)
  return { mode: 'nginx', label: `nginx limit_conn ${CAPACITY}`, pid: nginx.pid, url: nginx.url, adminUrl: null, cleanUp: nginx.cleanUp }
}

async function runTarget(target: Target, args: Args): Promise<ModeSummary> {
  const { phases: load, profile } = phases(args.seconds)
  const samples: AdmissionSample[] = []
  const startMs = performance.now()
  const adminUrl = target.adminUrl
  const sampler = adminUrl === null ? null : setInterval(() => void sample(adminUrl, (performance.now() - startMs) / 1000, samples), 1000)
  const cpuBefore = procCpuSeconds(target.pid)
  const result = await runOpenLoop(target.url, load, CAPACITY_RPS * STORM_SHARE)
  if (sampler !== null) clearInterval(sampler)
  const cpuAfter = procCpuSeconds(target.pid)
  await stopChild(target.pid)
  return summarise(target.mode, target.label, result, profile, samples, cpuBefore === null || cpuAfter === null ? null : cpuAfter - cpuBefore)
}

/** One column: a fresh backend (the one that served protection off is still working through the abandoned backlog), the target in front of it. */
async function runColumn(start: (backend: BenchChild) => Promise<Target>, args: Args): Promise<ModeSummary> {
  const backend = await startCapacityBackend()
  const target = await start(backend)
  process.stderr.write(`overload bench: ${target.label}, ${args.seconds} s\n`)
  const summary = await runTarget(target, args)
  target.cleanUp?.()
  await stopChild(backend.pid)
  return summary
}

async function sample(adminUrl: string, tS: number, into: AdmissionSample[]): Promise<void> {
  try {
    const res = await request(`${adminUrl}/api/upstreams`)
    const [upstream] = (await res.body.json()) as { admission: { limit: number | null; queued: number; inflight: number } }[]
    into.push({ tS, limit: upstream.admission.limit, queued: upstream.admission.queued, inflight: upstream.admission.inflight })
  } catch {
    // a sample missed under load is a gap in the plot, nothing more
  }
}

interface ShedCost {
  readonly shedUsPerRequest: number | null
  readonly proxiedUsPerRequest: number | null
  readonly shedRps: number
}

/** CPU µs per request of Baton answering every request with a shed 503, and of Baton proxying. */
async function shedCost(backend: BenchChild): Promise<ShedCost> {
  const shed = await forkReady('../overload/baton-overload.js', ['shed', ...backend.urls])
  const held = request(`${shed.urls[0]}/hold`).catch(() => null) // takes the one permit for the whole measurement
  await new Promise((r) => setTimeout(r, 200))
  const shedRun = await cpuPerRequest(shed, 'non2xx')
  void held
  await stopChild(shed.pid)
  const on = await forkReady('../overload/baton-overload.js', ['on', ...backend.urls])
  const proxied = await cpuPerRequest(on, 'served2xx')
  await stopChild(on.pid)
  return { shedUsPerRequest: shedRun.usPerRequest, proxiedUsPerRequest: proxied.usPerRequest, shedRps: shedRun.rps }
}

async function cpuPerRequest(baton: BenchChild, count: 'non2xx' | 'served2xx'): Promise<{ usPerRequest: number | null; rps: number }> {
  await runLoad(baton.urls[0], { connections: 16, durationSec: 1 }) // warm-up
  const before = procCpuSeconds(baton.pid)
  const m = await runLoad(baton.urls[0], { connections: 16, durationSec: SHED_COST_SECONDS })
  const after = procCpuSeconds(baton.pid)
  const n = m[count]
  return { usPerRequest: before === null || after === null || n === 0 ? null : ((after - before) * 1e6) / n, rps: m.rps }
}

function fmt(v: number | null, digits = 1): string {
  return v === null || !Number.isFinite(v) ? 'n/a' : v.toFixed(digits)
}

function table(modes: readonly ModeSummary[], cost: ShedCost, profile: Profile, seconds: number): string {
  const on = modes.find((m) => m.mode === 'on') ?? modes[0]
  const rows: [string, (m: ModeSummary) => string, string][] = [
    ['goodput at 300 % (rps, share of capacity)', (m) => `${fmt(m.goodputRps, 0)} (${fmt(100 * m.goodputOfCapacity, 0)} %)`, '≥ 90 %'],
    ['p99 unloaded (50 %), ms', (m) => fmt(m.unloadedP99Ms), ''],
    ['p99 of accepted at 300 %, ms (× unloaded)', (m) => `${fmt(m.acceptedP99Ms)} (${fmt(m.acceptedP99Ms / on.unloadedP99Ms)}×)`, '≤ 3×'],
    ['  the same from 2 s into the step', (m) => `${fmt(m.acceptedP99SteadyMs)} (${fmt(m.acceptedP99SteadyMs / on.unloadedP99Ms)}×)`, ''],
    ['high: succeeded / shed / failed, %', (m) => classCell(m, 0), 'success ≥ 99 %'],
    ['normal: succeeded / shed / failed, %', (m) => classCell(m, 1), ''],
    ['low: succeeded / shed / failed, %', (m) => classCell(m, 2), ''],
    [`storm client: tries per request (≤ ${STORM_ATTEMPTS})`, (m) => fmt(m.stormAmplification, 2), ''],
    ['back to normal after the step down, s', (m) => (m.recoveryS === null ? `> ${seconds - profile.stepDownS - 1}` : String(m.recoveryS)), '≤ 5 s'],
    ['proxy CPU over the run, s', (m) => fmt(m.cpuSeconds), ''],
  ]
  const width = Math.max(...rows.map((r) => r[0].length))
  const col = 26
  const lines = [
    `${'Overload bench'.padEnd(width)}  ${modes.map((m) => m.label.padEnd(col)).join('')}target`,
    ...rows.map(([name, cell, target]) => `${name.padEnd(width)}  ${modes.map((m) => cell(m).padEnd(col)).join('')}${target}`),
    '',
    `Shed answer: ${fmt(cost.shedUsPerRequest)} µs Baton CPU per 503 (${fmt(cost.shedRps, 0)} rps, 16 connections), against ${fmt(cost.proxiedUsPerRequest)} µs per proxied request.`,
  ]
  return lines.join('\n')
}

function classCell(m: ModeSummary, c: number): string {
  return `${fmt(m.successPercent[c])} / ${fmt(m.shedPercent[c])} / ${fmt(m.failedPercent[c])}`
}

async function main(): Promise<void> {
  const args = parse()
  const watchdog = setTimeout(() => {
    killAllChildrenNow()
    process.stderr.write('overload bench: over its time budget, stopped\n')
    process.exit(2)
  }, (3 * args.seconds + 4 * SHED_COST_SECONDS + 60) * 1000)
  watchdog.unref()
  try {
    const modes: ModeSummary[] = []
    for (const mode of ['off', 'on']) modes.push(await runColumn((backend) => startBatonTarget(mode, backend), args))
    const nginx = findNginx()
    if (nginx === null) process.stderr.write('overload bench: no nginx installed (apt-get install nginx-light), no nginx column\n')
    else modes.push(await runColumn((backend) => startNginxTarget(nginx, backend), args))
    process.stderr.write('overload bench: cost of a shed answer\n')
    const cost = await shedCost(await startCapacityBackend())
    const { profile } = phases(args.seconds)
    const title =
      `Baton overload ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC: capacity ${CAPACITY_RPS} rps, ` +
      `50 % → 300 % → 50 %, storm ${STORM_SHARE * 100} %`
    writeFileSync(args.out, renderOverloadSvg(modes, profile, args.seconds, title))
    process.stdout.write(
      `${BACKENDS} backends × ${CAPACITY} concurrent × ${SERVICE_MS} ms = ${CAPACITY_RPS} rps capacity; open-loop load 50 % → 300 % (${profile.stepUpS}–${profile.stepDownS} s) → 50 % ` +
        `(10 % high, 60 % normal, 30 % low), plus a storm client at ${STORM_SHARE * 100} % of capacity retrying every failure at once; clients give up after ${CLIENT_TIMEOUT_MS} ms.\n\n` +
        `${table(modes, cost, profile, args.seconds)}\nPlot: ${args.out}\n`,
    )
  } finally {
    clearTimeout(watchdog)
    await stopAllChildren()
  }
}

await main()
