/**
 * What a run of the overload bench says about one proxy: goodput, the tail of the accepted requests, sheds by
 * class, the storm's amplification and the recovery after the step down; per second for the plot.
 */
import { percentile } from '../scenarios/summary.js'
import type { LoadResult, TryRecord } from './open-loop.js'

/** One admin sample: the upstream's admission state at a second of the run. */
export interface AdmissionSample {
  readonly tS: number
  readonly limit: number | null
  readonly queued: number
  readonly inflight: number
}

export interface Profile {
  readonly capacityRps: number
  /** The 300 % step: [stepUpS, stepDownS). */
  readonly stepUpS: number
  readonly stepDownS: number
  /** Seconds skipped at the start (connections, JIT) before the unloaded p99 is taken. */
  readonly warmupS: number
}

export interface ModeSummary {
  readonly mode: string
  /** How the table and the plot name it. */
  readonly label: string
  readonly unloadedP99Ms: number
  readonly goodputRps: number
  readonly goodputOfCapacity: number
  /** p99 of the accepted (200) requests due in the step, from when they were due. */
  readonly acceptedP99Ms: number
  /** The same from 2 s into the step (after the limit found the capacity). */
  readonly acceptedP99SteadyMs: number
  /** Per class (high, normal, low) over the main load due in the step: answered 503, failed otherwise (timeout, reset, 5xx), succeeded. */
  readonly shedPercent: readonly number[]
  readonly failedPercent: readonly number[]
  readonly successPercent: readonly number[]
  /** Storm client tries per storm request in the step (1 = no retry). */
  readonly stormAmplification: number
  /** Seconds from the step down until every later second is normal (≥ 99 % success, p99 ≤ 1.5 × unloaded); null: never. */
  readonly recoveryS: number | null
  readonly perSecond: { readonly goodput: number[]; readonly p99Ms: number[]; readonly shedPercent: number[]; readonly offered: number[] }
  readonly samples: readonly AdmissionSample[]
  /** Baton's CPU seconds over the run (user + system), null without /proc. */
  readonly cpuSeconds: number | null
}

export function summarise(mode: string, label: string, load: LoadResult, profile: Profile, samples: readonly AdmissionSample[], cpuSeconds: number | null): ModeSummary {
  const main = load.tries.filter((r) => !r.storm)
  const dueIn = (from: number, to: number) => (r: TryRecord) => r.dueMs >= from * 1000 && r.dueMs < to * 1000
  const unloaded = main.filter(dueIn(profile.warmupS, profile.stepUpS)).filter(ok)
  const unloadedP99Ms = quantile(unloaded.map(latency), 0.99)
  const step = main.filter(dueIn(profile.stepUpS, profile.stepDownS))
  const stepS = profile.stepDownS - profile.stepUpS
  const served = load.tries.filter((r) => ok(r) && r.endMs >= profile.stepUpS * 1000 && r.endMs < profile.stepDownS * 1000).length
  const byClass = (cls: number, test: (r: TryRecord) => boolean): number => {
    const of = step.filter((r) => r.cls === cls)
    return of.length === 0 ? 0 : (100 * of.filter(test).length) / of.length
  }
  const classes = [0, 1, 2]
  const stormStep = load.tries.filter((r) => r.storm).filter(dueIn(profile.stepUpS, profile.stepDownS))
  const stormRequests = new Set(stormStep.map((r) => r.origin)).size
  const perSecond = secondly(load, main)
  return {
    mode,
    label,
    unloadedP99Ms,
    goodputRps: served / stepS,
    goodputOfCapacity: served / stepS / profile.capacityRps,
    acceptedP99Ms: quantile(step.filter(ok).map(latency), 0.99),
    acceptedP99SteadyMs: quantile(step.filter(dueIn(profile.stepUpS + 2, profile.stepDownS)).filter(ok).map(latency), 0.99),
    shedPercent: classes.map((c) => byClass(c, (r) => r.status === 503)),
    failedPercent: classes.map((c) => byClass(c, (r) => r.status !== 503 && r.status !== 200)),
    successPercent: classes.map((c) => byClass(c, ok)),
    stormAmplification: stormRequests === 0 ? 0 : stormStep.length / stormRequests,
    recoveryS: recovery(perSecond, main, profile, unloadedP99Ms),
    perSecond,
    samples,
    cpuSeconds,
  }
}

/** Nearest-rank quantile of unsorted values; NaN when empty. */
function quantile(values: readonly number[], q: number): number {
  return percentile(Float64Array.from(values).sort(), q)
}

function ok(r: TryRecord): boolean {
  return r.status === 200
}

function latency(r: TryRecord): number {
  return r.endMs - r.dueMs
}

function secondly(load: LoadResult, main: readonly TryRecord[]): ModeSummary['perSecond'] {
  const n = Math.ceil(load.durationS)
  const goodput = new Array<number>(n).fill(0)
  const offered = new Array<number>(n).fill(0)
  const shed = new Array<number>(n).fill(0)
  const accepted: number[][] = Array.from({ length: n }, () => [])
  for (const r of load.tries) {
    const endS = Math.floor(r.endMs / 1000)
    if (ok(r) && endS < n) goodput[endS]++
    const dueS = Math.floor(r.dueMs / 1000)
    if (dueS < n) offered[dueS]++
  }
  const mainCount = new Array<number>(n).fill(0)
  for (const r of main) {
    const dueS = Math.floor(r.dueMs / 1000)
    if (dueS >= n) continue
    mainCount[dueS]++
    if (r.status === 503) shed[dueS]++
    if (ok(r)) accepted[dueS].push(latency(r))
  }
  return {
    goodput,
    offered,
    shedPercent: shed.map((s, i) => (mainCount[i] === 0 ? 0 : (100 * s) / mainCount[i])),
    p99Ms: accepted.map((l) => (l.length === 0 ? 0 : quantile(l, 0.99))),
  }
}

function recovery(perSecond: ModeSummary['perSecond'], main: readonly TryRecord[], profile: Profile, unloadedP99Ms: number): number | null {
  const n = perSecond.p99Ms.length
  const success = new Array<number>(n).fill(0)
  const count = new Array<number>(n).fill(0)
  for (const r of main) {
    const s = Math.floor(r.dueMs / 1000)
    if (s >= n) continue
    count[s]++
    if (ok(r)) success[s]++
  }
  const normal = (s: number): boolean => count[s] > 0 && success[s] / count[s] >= 0.99 && perSecond.p99Ms[s] <= 1.5 * unloadedP99Ms
  // The last second may be cut short by the end of the run: judged without it.
  let first: number | null = null
  for (let s = n - 2; s >= profile.stepDownS; s--) {
    if (!normal(s)) break
    first = s
  }
  return first === null ? null : first - profile.stepDownS
}
