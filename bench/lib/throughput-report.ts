/**
 * The throughput bench's output: one row per contender with the median over the interleaved rounds (and
 * the min–max) of rps, p99 and the proxy's CPU time per request; each Baton row's rps and CPU per request
 * as ratios of the baselines; the TLS rows in a table of their own, as ratios of undici-minimal-tls, with
 * what TLS costs each of them against its plain-HTTP twin; the before/after against baton-base when it ran;
 * what a feature costs (FEATURE_COSTS: the defaults ÷ the defaults without it);
 * the release targets judged PASS/MISS; and the machine it ran on. Text for people, JSON for README
 * generation.
 *
 * Ratios are paired: a contender's figure divided by the baseline's from the same round (the two ran
 * minutes apart at most), then the median over rounds, so drift of the machine between rounds cancels.
 */
import os from 'node:os'
import type { BenchArgs } from './args.js'
import { BASE_SAME_CONFIG_NOTE } from './baton-contender.js'
import type { Measurement } from './load.js'
import { formatTable } from './table.js'

/** One contender in one round. */
export interface RunResult {
  /** 1-based round number. */
  readonly round: number
  /** 1-based place in that round's (rotated) order. */
  readonly position: number
  /** null when the contender could not be started or measured; `failure` says why. */
  readonly measurement: Measurement | null
  /** The proxy process's CPU seconds (user + system) over the measured window; null for direct or when unreadable. */
  readonly cpuSec: number | null
  /** cpuSec ÷ 2xx responses in the window, µs; null when either is missing. */
  readonly cpuUsPerRequest: number | null
  readonly failure: string | null
}

export interface ContenderResult {
  readonly name: string
  /** One per round it was scheduled in, in round order. */
  readonly runs: readonly RunResult[]
  /** The child's note on what it ran (baton-base's config), or null. */
  readonly note: string | null
}

export interface RunInfo {
  readonly args: BenchArgs
  /** Ports of the one backend process; Baton gets all of them as endpoints, the others use the first. */
  readonly backendPorts: number
  /** Each round's run order. */
  readonly orders: readonly (readonly string[])[]
  /** What the TLS contenders' certificate is; null when none of them ran. */
  readonly tlsCertificate: string | null
}

/** Median and range over rounds. */
export interface Spread {
  readonly median: number
  readonly min: number
  readonly max: number
  /** How many rounds gave a value. */
  readonly n: number
}

/** Every plain-HTTP row's rps and CPU per request are divided by each of these contenders'. */
const RATIO_BASELINES = ['undici-minimal', 'http-proxy'] as const
const BASE = 'baton-base'
/**
 * The TLS rows (a TLS listener, autocannon over https, plain HTTP to the backend), each with its plain-HTTP
 * twin: the same proxy with the same config but for TLS, so the same-round ratio to it is what TLS costs.
 */
const TLS_TWINS = { 'undici-minimal-tls': 'undici-minimal', 'baton-tls': 'baton-defaults' } as const
/** The TLS rows are divided by this one's figures (and nothing else: a TLS row against a plain one is its twin line). */
const TLS_RATIO_BASELINES = ['undici-minimal-tls'] as const
/** The TLS comparison under the table: baton-tls ÷ undici-minimal-tls. */
const TLS_PAIR = { contender: 'baton-tls', baseline: 'undici-minimal-tls' } as const

/** What a feature costs: the contender with it ÷ the same config without it, same round. */
const FEATURE_COSTS = [{ feature: 'the adaptive concurrency limit', contender: 'baton-defaults', without: 'baton-no-adaptive-limit' }] as const

interface FeatureCost {
  readonly feature: string
  readonly contender: string
  readonly without: string
  readonly rps: Spread | null
  readonly cpuPerRequest: Spread | null
}

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

interface Summary {
  readonly roundsMeasured: number
  readonly rps: Spread | null
  readonly p50Ms: Spread | null
  readonly p99Ms: Spread | null
  readonly cpuUsPerRequest: Spread | null
  /** Sums over rounds. */
  readonly errors: number
  readonly non2xx: number
  readonly served2xx: number
}

interface BeforeAfter {
  readonly baselineDist: string
  /** The current contender run with the same config as baton-base. */
  readonly current: string
  readonly note: string | null
  readonly rps: Spread | null
  readonly cpuPerRequest: Spread | null
  readonly p99Ms: Spread | null
}

interface TlsComparison {
  /** baton-tls ÷ undici-minimal-tls, same round. */
  readonly contender: string
  readonly baseline: string
  readonly rps: Spread | null
  readonly cpuPerRequest: Spread | null
  /** Each TLS row ÷ its plain-HTTP twin, same round: what TLS costs that proxy. */
  readonly twins: readonly { readonly tls: string; readonly plain: string; readonly rps: Spread | null; readonly cpuPerRequest: Spread | null }[]
}

function isTls(name: string): boolean {
  return Object.hasOwn(TLS_TWINS, name)
}

/** The ratio baselines of `name`'s table. */
function baselinesOf(name: string): readonly string[] {
  return isTls(name) ? TLS_RATIO_BASELINES : RATIO_BASELINES
}

function tableHeader(baselines: readonly string[]): string[] {
  return [
    'contender',
    'rounds',
    'rps (min–max)',
    'p50 ms',
    'p99 ms (min–max)',
    'CPU µs/req (min–max)',
    'errors',
    'non-2xx',
    ...baselines.map((b) => `rps × ${b}`),
    ...baselines.map((b) => `CPU × ${b}`),
  ]
}

export function renderText(results: readonly ContenderResult[], info: RunInfo): string {
  const plainResults = results.filter((r) => !isTls(r.name))
  const tlsResults = results.filter((r) => isTls(r.name))
  const plainTable = plainResults.length === 0 ? [] : [formatTable(tableHeader(RATIO_BASELINES), plainResults.map((r) => textRow(r, results, RATIO_BASELINES))), '']
  const tlsTable =
    tlsResults.length === 0
      ? []
      : [
          'TLS listener (autocannon over https to the proxy, plain HTTP from the proxy to the backend):',
          formatTable(tableHeader(TLS_RATIO_BASELINES), tlsResults.map((r) => textRow(r, results, TLS_RATIO_BASELINES))),
          '',
        ]
  const tls = tlsComparison(results)
  const tlsLines =
    tls === null
      ? []
      : [
          '',
          `TLS: ${tls.contender} ÷ ${tls.baseline}: rps ${spreadRatio(tls.rps)}, CPU/request ${spreadRatio(tls.cpuPerRequest)}` +
            '  (CPU/request > 1× = Baton spends more CPU per request than the minimal proxy, both terminating TLS)',
          ...tls.twins.map(
            (t) => `  TLS cost: ${t.tls} ÷ ${t.plain}: rps ${spreadRatio(t.rps)}, CPU/request ${spreadRatio(t.cpuPerRequest)}`,
          ),
        ]
  const targets = judgeTargets(results).map(
    (t) =>
      `target ${t.contender} ≥ ${t.minRatio.toFixed(2)}× ${t.baseline} (rps): ` +
      `${t.ratio === null ? '—' : `${t.ratio.toFixed(2)}×`} ${t.verdict}${t.reason === null ? '' : ` (${t.reason})`}`,
  )
  const costs = featureCosts(results).map(
    (c) => `cost of ${c.feature}: ${c.contender} ÷ ${c.without}: rps ${spreadRatio(c.rps)}, CPU/request ${spreadRatio(c.cpuPerRequest)}`,
  )
  const failures = results.flatMap(failureLines)
  const ba = beforeAfter(results, info)
  const beforeAfterLines =
    ba === null
      ? []
      : [
          '',
          `before/after: ${BASE} = Baton built in ${ba.baselineDist}${ba.note === null ? '' : `, ${ba.note}`}`,
          `  ${ba.current} ÷ ${BASE}: rps ${spreadRatio(ba.rps)}, CPU/request ${spreadRatio(ba.cpuPerRequest)}, p99 ${spreadRatio(ba.p99Ms)}` +
            '  (CPU/request < 1× = the current code spends less CPU per request)',
        ]
  return [
    machineNote(info),
    '',
    ...plainTable,
    ...tlsTable,
    'Each cell: median over rounds (min–max). Ratios: median over rounds of the same-round ratio; CPU × b > 1 means more proxy CPU per request than b.',
    ...failures,
    ...beforeAfterLines,
    ...(costs.length === 0 ? [] : ['', ...costs]),
    ...tlsLines,
    ...(targets.length === 0 ? [] : ['', ...targets]),
  ].join('\n')
}

export function renderJson(results: readonly ContenderResult[], info: RunInfo): string {
  const out = results.map((r) => {
    const s = summarize(r)
    return {
      name: r.name,
      note: r.note,
      // The medians, in the shape of a single run's measurement (errors, non2xx and served2xx are sums over rounds).
      measurement:
        s.rps === null
          ? null
          : {
              rps: s.rps.median,
              p50Ms: s.p50Ms?.median ?? null,
              p99Ms: s.p99Ms?.median ?? null,
              errors: s.errors,
              non2xx: s.non2xx,
              served2xx: s.served2xx,
              cpuUsPerRequest: s.cpuUsPerRequest?.median ?? null,
            },
      failure: r.runs.find((run) => run.failure !== null)?.failure ?? null,
      summary: s,
      // Median same-round rps ratio per baseline (the pre-rounds shape), then the spreads of rps and CPU ratios.
      // The baselines of the row's table: undici-minimal and http-proxy, or undici-minimal-tls for a TLS row.
      ratios: Object.fromEntries(baselinesOf(r.name).map((b) => [b, pairedRatio(r, find(results, b), rpsOf)?.median ?? null])),
      rpsRatios: Object.fromEntries(baselinesOf(r.name).map((b) => [b, pairedRatio(r, find(results, b), rpsOf)])),
      cpuPerRequestRatios: Object.fromEntries(baselinesOf(r.name).map((b) => [b, pairedRatio(r, find(results, b), cpuOf)])),
      runs: r.runs,
    }
  })
  return JSON.stringify(
    { machine: machine(), settings: info, results: out, beforeAfter: beforeAfter(results, info), featureCosts: featureCosts(results), tls: tlsComparison(results), targets: judgeTargets(results) },
    null,
    2,
  )
}

function textRow(r: ContenderResult, all: readonly ContenderResult[], baselines: readonly string[]): string[] {
  const s = summarize(r)
  if (s.rps === null) return [r.name, `0/${r.runs.length}`, 'failed']
  const ratios = [
    ...baselines.map((b) => medianRatio(pairedRatio(r, find(all, b), rpsOf))),
    ...baselines.map((b) => medianRatio(pairedRatio(r, find(all, b), cpuOf))),
  ]
  // autocannon's latency histogram has 1 ms resolution, so whole ms are all there is to print.
  return [
    r.name,
    `${s.roundsMeasured}/${r.runs.length}`,
    spreadCell(s.rps, 0),
    s.p50Ms === null ? '—' : s.p50Ms.median.toFixed(0),
    spreadCell(s.p99Ms, 0),
    spreadCell(s.cpuUsPerRequest, 1),
    String(s.errors),
    String(s.non2xx),
    ...ratios,
  ]
}

function summarize(r: ContenderResult): Summary {
  const measured = r.runs.flatMap((run) => (run.measurement === null ? [] : [run.measurement]))
  return {
    roundsMeasured: measured.length,
    rps: spread(measured.map((m) => m.rps)),
    p50Ms: spread(measured.map((m) => m.p50Ms)),
    p99Ms: spread(measured.map((m) => m.p99Ms)),
    cpuUsPerRequest: spread(r.runs.flatMap((run) => (run.cpuUsPerRequest === null ? [] : [run.cpuUsPerRequest]))),
    errors: sum(measured.map((m) => m.errors)),
    non2xx: sum(measured.map((m) => m.non2xx)),
    served2xx: sum(measured.map((m) => m.served2xx)),
  }
}

function rpsOf(run: RunResult): number | null {
  return run.measurement?.rps ?? null
}

function cpuOf(run: RunResult): number | null {
  return run.cpuUsPerRequest
}

function p99Of(run: RunResult): number | null {
  return run.measurement?.p99Ms ?? null
}

/** Per round where both have the figure: r's ÷ baseline's; their median and range. */
function pairedRatio(r: ContenderResult | undefined, baseline: ContenderResult | undefined, figure: (run: RunResult) => number | null): Spread | null {
  if (r === undefined || baseline === undefined) return null
  const ratios = r.runs.flatMap((run) => {
    const other = baseline.runs.find((b) => b.round === run.round)
    const num = figure(run)
    const den = other === undefined ? null : figure(other)
    return num === null || den === null || den === 0 ? [] : [num / den]
  })
  return spread(ratios)
}

function beforeAfter(results: readonly ContenderResult[], info: RunInfo): BeforeAfter | null {
  const base = find(results, BASE)
  if (base === undefined || info.args.baselineDist === null) return null
  // Like with like: baton-defaults when the old code took the same YAML, round_robin built the old way otherwise.
  const sameConfig = base.note === null || base.note.startsWith(BASE_SAME_CONFIG_NOTE)
  const current = sameConfig ? 'baton-defaults' : 'baton-round_robin'
  const c = find(results, current)
  return {
    baselineDist: info.args.baselineDist,
    current,
    note: base.note,
    rps: pairedRatio(c, base, rpsOf),
    cpuPerRequest: pairedRatio(c, base, cpuOf),
    p99Ms: pairedRatio(c, base, p99Of),
  }
}

/** FEATURE_COSTS whose two sides both ran. */
function featureCosts(results: readonly ContenderResult[]): FeatureCost[] {
  return FEATURE_COSTS.flatMap(({ feature, contender, without }) => {
    const c = find(results, contender)
    const w = find(results, without)
    return c === undefined || w === undefined ? [] : [{ feature, contender, without, rps: pairedRatio(c, w, rpsOf), cpuPerRequest: pairedRatio(c, w, cpuOf) }]
  })
}

/** baton-tls ÷ undici-minimal-tls and each TLS row ÷ its twin; null when no TLS contender ran. */
function tlsComparison(results: readonly ContenderResult[]): TlsComparison | null {
  if (!results.some((r) => isTls(r.name))) return null
  const c = find(results, TLS_PAIR.contender)
  const b = find(results, TLS_PAIR.baseline)
  const twins = Object.entries(TLS_TWINS).flatMap(([tls, plain]) => {
    const t = find(results, tls)
    const p = find(results, plain)
    return t === undefined || p === undefined ? [] : [{ tls, plain, rps: pairedRatio(t, p, rpsOf), cpuPerRequest: pairedRatio(t, p, cpuOf) }]
  })
  return { ...TLS_PAIR, rps: pairedRatio(c, b, rpsOf), cpuPerRequest: pairedRatio(c, b, cpuOf), twins }
}

/** The targets whose two sides were both selected for this run (all of them in a default run). */
function judgeTargets(results: readonly ContenderResult[]): TargetVerdict[] {
  const selected = TARGETS.filter((t) => find(results, t.contender) !== undefined && find(results, t.baseline) !== undefined)
  return selected.map(({ contender, baseline, minRatio }) => {
    const c = find(results, contender)
    const b = find(results, baseline)
    const x = pairedRatio(c, b, rpsOf)?.median ?? null
    const reason = missReason(c, contender) ?? missReason(b, baseline)
    const verdict = reason === null && x !== null && x >= minRatio ? 'PASS' : 'MISS'
    return { contender, baseline, minRatio, ratio: x, verdict, reason }
  })
}

/** A ratio only counts when every round was clean: a fast stream of 404s or resets is not throughput. */
function missReason(r: ContenderResult | undefined, name: string): string | null {
  if (r === undefined || r.runs.every((run) => run.measurement === null)) return `${name} did not run`
  if (r.runs.some((run) => run.measurement === null)) return `${name} failed in some rounds`
  const s = summarize(r)
  if (s.errors > 0 || s.non2xx > 0) return `${name} had errors or non-2xx responses`
  return null
}

/** "name failed in rounds 1, 3: reason", one line per distinct reason. */
function failureLines(r: ContenderResult): string[] {
  const byReason = new Map<string, number[]>()
  for (const run of r.runs) if (run.failure !== null) byReason.set(run.failure, [...(byReason.get(run.failure) ?? []), run.round])
  return [...byReason].map(([reason, rounds]) => `${r.name} failed in round${rounds.length > 1 ? 's' : ''} ${rounds.join(', ')}: ${reason}`)
}

function spread(values: readonly number[]): Spread | null {
  if (values.length === 0) return null
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
  return { median, min: sorted[0]!, max: sorted[sorted.length - 1]!, n: sorted.length }
}

function spreadCell(s: Spread | null, digits: number): string {
  if (s === null) return '—'
  return s.n === 1 ? s.median.toFixed(digits) : `${s.median.toFixed(digits)} (${s.min.toFixed(digits)}–${s.max.toFixed(digits)})`
}

function medianRatio(s: Spread | null): string {
  return s === null ? '—' : `${s.median.toFixed(2)}×`
}

function spreadRatio(s: Spread | null): string {
  if (s === null) return '—'
  return s.n === 1 ? `${s.median.toFixed(2)}×` : `${s.median.toFixed(2)}× (${s.min.toFixed(2)}–${s.max.toFixed(2)})`
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0)
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
    `machine: ${m.cpus} cpus (${m.cpuModel}), node ${m.node}, ${m.platform}, load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')} at the end`,
    `load: autocannon in the bench process, ${a.connections} connections, pipelining 1; ${a.rounds} interleaved round${a.rounds > 1 ? 's' : ''} ` +
      `(every contender once per round, order rotated), each ${a.warmupSec} s warm-up then ${a.durationSec} s measured`,
    'CPU µs/req: the proxy process\'s user+system CPU time over the measured window ÷ 2xx responses served in it',
    `backend: 1 process on ${info.backendPorts} ports; Baton gets all as endpoints, the others use the first; ` +
      'each proxy runs alone in its own process, started for its run and stopped after it',
    ...(info.tlsCertificate === null
      ? []
      : [`TLS rows: the proxy's listener terminates TLS with a ${info.tlsCertificate}; autocannon does not verify it; one handshake per connection (keep-alive)`]),
  ].join('\n')
}
