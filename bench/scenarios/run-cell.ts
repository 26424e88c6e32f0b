import { performance } from 'node:perf_hooks'
import { startBaton, type BatonHandle } from '../../src/index.js'
import { BackendFleet } from './backend-fleet.js'
import { drainLeadS, runEvents, type RunEvent } from './health-events.js'
import { CLIENT_TIMEOUT_MS, loadAgent, runOpenLoop, type LoadOptions, type LoadResult } from './load.js'
import { cellConfig, endpointId, type RunMode } from './proxy-config.js'
import type { Scenario } from './scenarios.js'
import { percentile, summarise, type Summary } from './summary.js'
import { runSeconds } from './timeline.js'

/** Unrecorded load before time 0, ms: connections opened and the policy's first estimates made. */
export const WARMUP_MS = 1_000
/**
 * Above this send lag p99 (ms) the generator could not keep its clock, and the cell measured a busy
 * machine rather than the policy: on a quiet 2-core machine every cell stays under 4 ms, while another
 * process's test run pushed cells to 40-47 ms and their p99 from 20 to 90-113 ms.
 */
export const MAX_SEND_LAG_P99_MS = 10

export interface CellOptions {
  readonly durationMs: number
  readonly rate: number
  readonly seed: number
}

export interface WindowSummary {
  readonly label: string
  /** The window in this run's time (the reference window scaled to --duration), ms since time 0. */
  readonly fromMs: number
  readonly toMs: number
  readonly summary: Summary
}

/** One policy through one scenario in one mode. */
export interface CellResult {
  readonly policy: string
  readonly mode: RunMode
  readonly overall: Summary
  /** Tries Baton sent to the backends during the run (retries and hedges included), less the client requests, % of those. */
  readonly extraBackendPct: number
  readonly windows: readonly WindowSummary[]
  /** Event-loop utilisation of this process (Baton plus the load generator) during the run, %. */
  readonly proxyLoopPct: number
  /** Event-loop utilisation of the backends' process during the run, %; NaN if it did not report. */
  readonly backendLoopPct: number
  /** p99 of how late the generator sent requests, ms. */
  readonly sendLagP99Ms: number
  /** Baton's health events from its start to the end of the run, oldest first. */
  readonly events: readonly RunEvent[]
  /**
   * For a scenario whose b0 starts refusing connections: seconds by which b0's first drain preceded that
   * moment (negative: after it); null when b0 was never drained or never refuses.
   */
  readonly drainLeadS: number | null
}

export type CellOutcome = { readonly kind: 'measured'; readonly result: CellResult } | { readonly kind: 'rejected'; readonly reason: string }

/** Fresh backends and a fresh Baton with `policy` in `mode`, a warm-up, then the measured open-loop run. */
export async function runCell(scenario: Scenario, policy: string, mode: RunMode, opts: CellOptions): Promise<CellOutcome> {
  const fleet = await BackendFleet.start({ scenario: scenario.name, durationMs: opts.durationMs, seed: opts.seed })
  try {
    const baton = await startOrReason(policy, mode, fleet.urls)
    if (typeof baton === 'string') return { kind: 'rejected', reason: baton }
    try {
      return { kind: 'measured', result: await measure(scenario, policy, mode, fleet, baton, opts) }
    } finally {
      await baton.close()
    }
  } finally {
    await fleet.stop()
  }
}

/** Baton, or why it would not start with this policy (a defaults cell: with the shipped defaults). */
async function startOrReason(policy: string, mode: RunMode, backendUrls: readonly string[]): Promise<BatonHandle | string> {
  try {
    return await startBaton(cellConfig(policy, backendUrls, mode))
  } catch (err) {
    return err instanceof Error ? err.message : String(err)
  }
}

async function measure(
  scenario: Scenario,
  policy: string,
  mode: RunMode,
  fleet: BackendFleet,
  baton: BatonHandle,
  opts: CellOptions,
): Promise<CellResult> {
  const agent = loadAgent(opts.rate, CLIENT_TIMEOUT_MS)
  try {
    const load: Omit<LoadOptions, 'durationMs'> = {
      url: baton.listenerUrls[0],
      rate: opts.rate,
      timeoutMs: CLIENT_TIMEOUT_MS,
      backendNames: scenario.backends.map((b) => b.name),
    }
    await runOpenLoop(agent, { ...load, durationMs: WARMUP_MS })
    fleet.begin()
    const triesBefore = batonTries(baton)
    const startWallMs = Date.now() // health events carry wall-clock times
    const loopBefore = performance.eventLoopUtilization()
    const result = await runOpenLoop(agent, { ...load, durationMs: opts.durationMs })
    const proxyLoop = performance.eventLoopUtilization(loopBefore).utilization
    const tries = batonTries(baton) - triesBefore
    const backendLoop = await fleet.stop()
    const events = runEvents(baton.events.list(), startWallMs, backendNamesById(scenario, fleet.urls))
    return {
      policy,
      mode,
      overall: summarise(result, scenario.backends.length),
      extraBackendPct: (100 * (tries - result.count)) / result.count,
      windows: summariseWindows(scenario, result, opts.durationMs),
      proxyLoopPct: 100 * proxyLoop,
      backendLoopPct: backendLoop === null ? NaN : 100 * backendLoop,
      sendLagP99Ms: percentile(result.sendLagMs.slice().sort(), 0.99),
      events,
      drainLeadS: troubledDrainLeadS(scenario, events, opts.durationMs),
    }
  } finally {
    await agent.close()
  }
}

/** Tries sent to every endpoint of every cluster so far (the endpoint statistics count each try once). */
function batonTries(baton: BatonHandle): number {
  let n = 0
  for (const c of baton.clusters) for (const e of c.endpoints) n += e.stats.counts().requests
  return n
}

/** drainLeadS of b0, the backend in trouble, when the scenario has it refuse connections. */
function troubledDrainLeadS(scenario: Scenario, events: readonly RunEvent[], durationMs: number): number | null {
  if (scenario.refusesAtS === null) return null
  return drainLeadS(events, scenario.backends[0].name, runSeconds(scenario.refusesAtS, durationMs))
}

/** Backend name (b0..) by the endpoint id Baton's events use. */
function backendNamesById(scenario: Scenario, urls: readonly string[]): Map<string, string> {
  return new Map(urls.map((url, i) => [endpointId(url), scenario.backends[i].name]))
}

/** The scenario's windows, moved from the reference timeline to this run's. */
function summariseWindows(scenario: Scenario, result: LoadResult, durationMs: number): WindowSummary[] {
  return scenario.windows.map((w) => {
    const fromMs = 1_000 * runSeconds(w.fromS, durationMs)
    const toMs = 1_000 * runSeconds(w.toS, durationMs)
    return { label: w.label, fromMs, toMs, summary: summarise(result, scenario.backends.length, fromMs, toMs) }
  })
}
