/**
 * The throughput bench's output: one row per contender, its rps as a ratio of each baseline, the release
 * targets judged PASS/MISS, and the machine it ran on. Text for people, JSON for README generation.
 */
import os from 'node:os'
import type { BenchArgs } from './args.js'
import type { Measurement } from './load.js'
import { formatTable } from './table.js'

export interface ContenderResult {
  readonly name: string
  /** null when the contender could not be started or measured; `failure` says why. */
  readonly measurement: Measurement | null
  readonly failure: string | null
}

export interface RunInfo {
  readonly args: BenchArgs
  /** Ports of the one backend process; Baton gets all of them as endpoints, the others use the first. */
  readonly backendPorts: number
}

/** Every row's rps is divided by each of these contenders' rps. */
const RATIO_BASELINES = ['undici-minimal', 'http-proxy'] as const

/**
 * Release targets, in rps: Baton close to a bare undici proxy and well ahead of http-proxy, and the learned
 * policy costing at most 5 % of round robin's throughput.
 */
const TARGETS = [
  { contender: 'baton-round_robin', baseline: 'undici-minimal', minRatio: 0.9 },
  { contender: 'baton-round_robin', baseline: 'http-proxy', minRatio: 1.4 },
  { contender: 'baton-adaptive', baseline: 'baton-round_robin', minRatio: 0.95 },
] as const

interface TargetVerdict {
  readonly contender: string
  readonly baseline: string
  readonly minRatio: number
  readonly ratio: number | null
  readonly verdict: 'PASS' | 'MISS'
  /** Why a MISS is not a plain shortfall (a side did not run, or had errors); null otherwise. */
  readonly reason: string | null
}

export function renderText(results: readonly ContenderResult[], info: RunInfo): string {
  const header = ['contender', 'rps', 'p50 ms', 'p99 ms', 'errors', 'non-2xx', ...RATIO_BASELINES.map((b) => `× ${b}`)]
  const rows = results.map((r) => textRow(r, results))
  const targets = judgeTargets(results).map(
    (t) =>
      `target ${t.contender} ≥ ${t.minRatio.toFixed(2)}× ${t.baseline}: ` +
      `${t.ratio === null ? '—' : `${t.ratio.toFixed(2)}×`} ${t.verdict}${t.reason === null ? '' : ` (${t.reason})`}`,
  )
  const failures = results.flatMap((r) => (r.failure === null ? [] : [`${r.name} failed: ${r.failure}`]))
  return [machineNote(info), '', formatTable(header, rows), ...failures, '', ...targets].join('\n')
}

export function renderJson(results: readonly ContenderResult[], info: RunInfo): string {
  const withRatios = results.map((r) => ({
    ...r,
    ratios: Object.fromEntries(RATIO_BASELINES.map((b) => [b, ratio(r, find(results, b))])),
  }))
  return JSON.stringify({ machine: machine(), settings: info, results: withRatios, targets: judgeTargets(results) }, null, 2)
}

function textRow(r: ContenderResult, all: readonly ContenderResult[]): string[] {
  const m = r.measurement
  if (m === null) return [r.name, 'failed']
  const ratios = RATIO_BASELINES.map((b) => {
    const x = ratio(r, find(all, b))
    return x === null ? '—' : `${x.toFixed(2)}×`
  })
  // autocannon's latency histogram has 1 ms resolution, so whole ms are all there is to print.
  return [r.name, m.rps.toFixed(0), m.p50Ms.toFixed(0), m.p99Ms.toFixed(0), String(m.errors), String(m.non2xx), ...ratios]
}

function judgeTargets(results: readonly ContenderResult[]): TargetVerdict[] {
  return TARGETS.map(({ contender, baseline, minRatio }) => {
    const c = find(results, contender)
    const b = find(results, baseline)
    const x = ratio(c, b)
    const reason = missReason(c, contender) ?? missReason(b, baseline)
    const verdict = reason === null && x !== null && x >= minRatio ? 'PASS' : 'MISS'
    return { contender, baseline, minRatio, ratio: x, verdict, reason }
  })
}

/** A ratio only counts when both runs were clean: a fast stream of 404s or resets is not throughput. */
function missReason(r: ContenderResult | undefined, name: string): string | null {
  if (r?.measurement == null) return `${name} did not run`
  if (r.measurement.errors > 0 || r.measurement.non2xx > 0) return `${name} had errors or non-2xx responses`
  return null
}

function ratio(r: ContenderResult | undefined, baseline: ContenderResult | undefined): number | null {
  const num = r?.measurement?.rps
  const den = baseline?.measurement?.rps
  return num === undefined || den === undefined || den === 0 ? null : num / den
}

function find(results: readonly ContenderResult[], name: string): ContenderResult | undefined {
  return results.find((r) => r.name === name)
}

function machine(): { cpus: number; cpuModel: string; node: string; platform: string } {
  const cpus = os.cpus()
  return { cpus: cpus.length, cpuModel: cpus[0]?.model ?? 'unknown', node: process.version, platform: `${os.platform()} ${os.arch()}` }
}

function machineNote(info: RunInfo): string {
  const m = machine()
  const a = info.args
  return [
    `machine: ${m.cpus} cpus (${m.cpuModel}), node ${m.node}, ${m.platform}`,
    `load: autocannon in the bench process, ${a.connections} connections, pipelining 1, ` +
      `${a.warmupSec} s warm-up then ${a.durationSec} s measured per contender`,
    `backend: 1 process on ${info.backendPorts} ports; Baton gets all as endpoints, the others use the first; ` +
      'each proxy runs alone in its own process',
  ].join('\n')
}
