import { performance } from 'node:perf_hooks'
import { startBaton, type BatonHandle } from '../../src/index.js'
import { BackendFleet } from './backend-fleet.js'
import { loadAgent, runOpenLoop, type LoadOptions, type LoadResult } from './load.js'
import { policyConfig, proxyConfig } from './proxy-config.js'
import type { Scenario } from './scenarios.js'
import { percentile, summarise, type Summary } from './summary.js'
import { timescaleFor } from './timeline.js'

/** Unrecorded load before time 0, ms: connections opened and the policy's first estimates made. */
export const WARMUP_MS = 1_000
/** The client gives up on a request this long after its scheduled time, ms; it counts as failed. */
export const CLIENT_TIMEOUT_MS = 2_000

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

/** One policy through one scenario. */
export interface CellResult {
  readonly policy: string
  readonly overall: Summary
  readonly windows: readonly WindowSummary[]
  /** Event-loop utilisation of this process (Baton plus the load generator) during the run, %. */
  readonly proxyLoopPct: number
  /** Event-loop utilisation of the backends' process during the run, %; NaN if it did not report. */
  readonly backendLoopPct: number
  /** p99 of how late the generator sent requests, ms. */
  readonly sendLagP99Ms: number
}

export type CellOutcome = { readonly kind: 'measured'; readonly result: CellResult } | { readonly kind: 'rejected'; readonly reason: string }

/** Fresh backends and a fresh Baton with `policy`, a warm-up, then the measured open-loop run. */
export async function runCell(scenario: Scenario, policy: string, opts: CellOptions): Promise<CellOutcome> {
  const fleet = await BackendFleet.start({ scenario: scenario.name, durationMs: opts.durationMs, seed: opts.seed })
  try {
    const baton = await startOrReason(policy, fleet.urls)
    if (typeof baton === 'string') return { kind: 'rejected', reason: baton }
    try {
      return { kind: 'measured', result: await measure(scenario, policy, fleet, baton, opts) }
    } finally {
      await baton.close()
    }
  } finally {
    await fleet.stop()
  }
}

/** Baton, or why it would not start with this policy. */
async function startOrReason(policy: string, backendUrls: readonly string[]): Promise<BatonHandle | string> {
  try {
    return await startBaton(proxyConfig(policyConfig(policy), backendUrls))
  } catch (err) {
    return err instanceof Error ? err.message : String(err)
  }
}

async function measure(scenario: Scenario, policy: string, fleet: BackendFleet, baton: BatonHandle, opts: CellOptions): Promise<CellResult> {
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
    const loopBefore = performance.eventLoopUtilization()
    const result = await runOpenLoop(agent, { ...load, durationMs: opts.durationMs })
    const proxyLoop = performance.eventLoopUtilization(loopBefore).utilization
    const backendLoop = await fleet.stop()
    return {
      policy,
      overall: summarise(result, scenario.backends.length),
      windows: summariseWindows(scenario, result, opts.durationMs),
      proxyLoopPct: 100 * proxyLoop,
      backendLoopPct: backendLoop === null ? NaN : 100 * backendLoop,
      sendLagP99Ms: percentile(result.sendLagMs.slice().sort(), 0.99),
    }
  } finally {
    await agent.close()
  }
}

/** The scenario's windows, moved from the reference timeline to this run's. */
function summariseWindows(scenario: Scenario, result: LoadResult, durationMs: number): WindowSummary[] {
  const realMsPerReferenceS = 1_000 / timescaleFor(durationMs)
  return scenario.windows.map((w) => {
    const fromMs = w.fromS * realMsPerReferenceS
    const toMs = w.toS * realMsPerReferenceS
    return { label: w.label, fromMs, toMs, summary: summarise(result, scenario.backends.length, fromMs, toMs) }
  })
}
