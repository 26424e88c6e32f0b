import type { LoadResult } from './load.js'
import { NO_BACKEND } from './load.js'

/** What `slow` counts from, ms: a request this late is a stall to the client. */
export const SLOW_MS = 900

/** What one stretch of a run looked like from the client. */
export interface Summary {
  readonly requests: number
  /** Latency percentiles over every request, failed ones included (a timeout counts at its ~timeout), ms. */
  readonly p50: number
  readonly p90: number
  readonly p99: number
  readonly p999: number
  readonly max: number
  /** Requests that took SLOW_MS or more (failed ones included). */
  readonly slow: number
  /** Requests not answered 200, %. */
  readonly errorPct: number
  /** Of the requests a backend answered, the share each backend answered, % in backend order. */
  readonly sharePct: readonly number[]
}

/** Summary of the requests scheduled in [fromMs, toMs) of the run. */
export function summarise(result: LoadResult, backendCount: number, fromMs = 0, toMs = Infinity): Summary {
  const latencies: number[] = []
  const answered = new Array<number>(backendCount).fill(0)
  let errors = 0
  for (let i = 0; i < result.count; i++) {
    const at = result.scheduledMs[i]
    if (at < fromMs || at >= toMs) continue
    latencies.push(result.latencyMs[i])
    if (result.status[i] !== 200) errors++
    if (result.backend[i] !== NO_BACKEND) answered[result.backend[i]]++
  }
  const sorted = Float64Array.from(latencies).sort()
  const byBackends = answered.reduce((a, b) => a + b, 0)
  return {
    requests: sorted.length,
    p50: percentile(sorted, 0.5),
    p90: percentile(sorted, 0.9),
    p99: percentile(sorted, 0.99),
    p999: percentile(sorted, 0.999),
    max: sorted.length === 0 ? NaN : sorted[sorted.length - 1],
    slow: latencies.filter((l) => l >= SLOW_MS).length,
    errorPct: percentOf(errors, sorted.length),
    sharePct: answered.map((n) => percentOf(n, byBackends)),
  }
}

/** Nearest-rank percentile of an ascending array; NaN when empty. */
export function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return NaN
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)]
}

function percentOf(part: number, whole: number): number {
  return whole === 0 ? NaN : (100 * part) / whole
}
