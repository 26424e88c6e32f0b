/**
 * The soak as a library: a few fault-flipping loopback backends in this process, Baton alone in a child
 * process sampled every second, bounded mixed traffic from this process, then a verdict per resource series
 * and on the GETs. bench/soak/run.ts is the CLI; test/soak/soak.test.ts runs a one-minute variant.
 */
import { policyConfig, proxyConfig } from '../scenarios/proxy-config.js'
import { medianInPlace } from '../../src/util/median.js'
import { SeededRng } from '../../src/util/rng.js'
import type { BatonConfig } from '../../src/config/types.js'
import { BatonChild } from './baton-child.js'
import { FaultBackend, type Behaviour } from './fault-backend.js'
import { FaultSchedule, type Transition } from './fault-schedule.js'
import { judgeSeries, SERIES, type SeriesVerdict, type TimedSample } from './growth-verdict.js'
import { runLoad } from './load.js'
import type { BatonReport } from './resource-messages.js'
import { Tally } from './tally.js'

export interface SoakOptions {
  readonly durationMs: number
  /** Seeds the fault schedule and the traffic mix (timing still varies run to run). */
  readonly seed: number
  /** Baton's balancing policy, every option at its default. */
  readonly policy: string
  readonly backends: number
  /** Backends failing at once, at most (see fault-schedule.ts for why 1 with three backends). */
  readonly maxFailing: number
  readonly workers: number
  readonly meanPauseMs: number
  /** Baton's retry.budgetMinConcurrent for the soak; null keeps Baton's default (3). See soakConfig. */
  readonly retryBudgetFloor: number | null
  /** Progress lines (stderr in the CLI); never the report. */
  readonly log: (line: string) => void
}

export const DEFAULT_SOAK: Omit<SoakOptions, 'durationMs' | 'seed'> = {
  // The learned policy: the most per-endpoint state, refits and model versions, so the likeliest to leak.
  policy: 'adaptive',
  backends: 3,
  maxFailing: 1,
  // 8 closed-loop clients pausing 40 ms on average: ~100 req/s here, which leaves CPU for Baton, the
  // backends and the other processes of a shared 2-core machine.
  workers: 8,
  meanPauseMs: 40,
  // The soak's concurrency: a closed loop of 8 never has more than 8 retries in flight, so the budget never
  // refuses and a lost GET is the retry logic's, not the budget's arithmetic (README.md: Baton's floor of 3
  // binds at 8 in flight when half the first tries fail).
  retryBudgetFloor: 8,
  log: () => {},
}

export interface SoakResult {
  readonly options: SoakOptions
  readonly startedAt: Date
  readonly batonPid: number
  readonly backendNames: readonly string[]
  /** Baton's samples taken while the load ran, t in seconds since it began. */
  readonly samples: readonly TimedSample[]
  readonly verdicts: readonly SeriesVerdict[]
  readonly tally: Tally
  readonly transitions: readonly Transition[]
  readonly faultCounts: Record<Behaviour, number>
  /** Baton's own account (retry budget, health events); null if it died before giving it. */
  readonly batonReport: BatonReport | null
  /** Baton's ejections and returns, t in seconds since the load began, backend by index. */
  readonly ejections: readonly { readonly t: number; readonly backend: number; readonly kind: 'ejected' | 'returned' }[]
  /** Median time of the forced full GC before each heap sample, ms. */
  readonly gcMsMedian: number
  /** Every series steady and no GET failed. */
  readonly passed: boolean
}

/**
 * The last this-many ms of the load run without new faults (FaultSchedule.calm): long enough for the longest
 * fault aftermath seen (client sockets of a refusal closing over ~5 s, Baton's keep-alive timeout) to pass,
 * so the end of the judged half is Baton's floor.
 */
export const CALM_TAIL_MS = 10_000
/** Progress is logged this often, ms. */
const PROGRESS_EVERY_MS = 10_000
/** Seeds of the two random streams are seed·SEED_STRIDE + 1 and + 2, so they never share one. */
const SEED_STRIDE = 100

export async function runSoak(options: SoakOptions): Promise<SoakResult> {
  const names = Array.from({ length: options.backends }, (_, i) => `b${i}`)
  const backends = await Promise.all(names.map((n) => new FaultBackend(n).start()))
  const schedule = new FaultSchedule(backends, new SeededRng(options.seed * SEED_STRIDE + 1), options.maxFailing)
  let baton: BatonChild | null = null
  let progress: NodeJS.Timeout | null = null
  let calming: NodeJS.Timeout | null = null
  try {
    baton = await BatonChild.start(soakConfig(options.policy, backends.map((b) => b.url), options.retryBudgetFloor))
    const child = baton
    const startedAt = new Date()
    const loadStart = startedAt.getTime()
    const tally = new Tally(loadStart)
    options.log(`soak: ${options.durationMs / 1_000} s, policy ${options.policy}, Baton pid ${child.pid} at ${child.url}, backends ${backends.map((b) => b.url).join(' ')}, seed ${options.seed}`)
    progress = setInterval(() => options.log(progressLine(loadStart, tally, child)), PROGRESS_EVERY_MS)
    schedule.start()
    calming = setTimeout(() => schedule.calm(), Math.max(0, options.durationMs - CALM_TAIL_MS))
    await runLoad({ baseUrl: child.url, durationMs: options.durationMs, workers: options.workers, meanPauseMs: options.meanPauseMs, rng: new SeededRng(options.seed * SEED_STRIDE + 2), tally })
    schedule.stop()
    await child.stop() // after the load, before judging: its report comes with the stop
    const durationS = options.durationMs / 1_000
    const ids = backends.map((b) => new URL(b.url).host)
    const samples = child.samples
      .map((sample) => ({ t: (sample.atMs - loadStart) / 1_000, sample }))
      .filter((s) => s.t >= 0 && s.t <= durationS)
    const verdicts = SERIES.map((spec) => judgeSeries(spec, samples, durationS))
    return {
      options,
      startedAt,
      batonPid: child.pid,
      backendNames: names,
      samples,
      verdicts,
      tally,
      transitions: schedule.transitions,
      faultCounts: schedule.counts(),
      batonReport: child.report,
      ejections: (child.report?.ejections ?? []).map((e) => ({ t: (e.atMs - loadStart) / 1_000, backend: ids.indexOf(e.endpoint), kind: e.kind })),
      gcMsMedian: medianInPlace(Float64Array.from(samples, (s) => s.sample.gcMs)),
      passed: verdicts.every((v) => v.passed) && tally.failedGets === 0,
    }
  } finally {
    if (progress !== null) clearInterval(progress)
    if (calming !== null) clearTimeout(calming)
    schedule.stop()
    await baton?.stop()
    await Promise.all(backends.map((b) => b.stop()))
  }
}

/**
 * Baton as bench/scenarios runs it with healing on (retries also on 500, 666 ms per-try timeout, 2 s
 * response timeout, active checks on /healthz, outlier ejection, forecasts, slow start: all else Baton's
 * defaults), so a GET whose first try meets a fault is retried on another backend.
 */
export function soakConfig(policy: string, backendUrls: readonly string[], retryBudgetFloor: number | null): BatonConfig {
  const config = proxyConfig(policyConfig(policy), backendUrls, 'healing')
  if (retryBudgetFloor === null) return { ...config, source: '<bench/soak>' }
  const upstreams = config.upstreams.map((u) => ({ ...u, retry: { ...u.retry, budgetMinConcurrent: retryBudgetFloor } }))
  return { ...config, upstreams, source: '<bench/soak>' }
}

function progressLine(loadStart: number, tally: Tally, baton: BatonChild): string {
  const last = baton.samples[baton.samples.length - 1]
  const resources =
    last === undefined
      ? 'no sample yet'
      : `rss ${(last.rssBytes / 1048576).toFixed(1)} MiB, heap ${(last.heapUsedBytes / 1048576).toFixed(1)} MiB, fds ${last.openFds}, loop p99 ${last.loopDelayP99Ms.toFixed(1)} ms`
  return `  ${Math.round((Date.now() - loadStart) / 1_000)} s: ${tally.sent} requests, ${tally.failedGets} failed GETs; ${resources}`
}
