import { Int32Histogram } from 'hdr-histogram-js'

/** Largest latency tracked, µs (1 hour); longer ones are recorded as this value rather than throwing. */
const HIGHEST_TRACKABLE_US = 3_600_000_000

/**
 * A latency histogram in µs: 1 µs to 1 h, 3 significant digits (±0.1 %), pure JS (no WASM to initialise).
 * This is what hdr-histogram-js `build({ bitBucketSize: 32, autoResize: false, ... })` returns, constructed
 * directly so its index-level methods are typed. Why 32-bit counts (measured on Node 20, recordValue):
 * 8/16 bit ~75 ns but wrap silently at 255 / 65 535 per bucket per interval, which a busy endpoint reaches;
 * 32/64 bit ~80 ns; 'packed' ~500 ns. 32 bit holds 4.29 billion per bucket at ~95 KB; 64 bit doubles that.
 */
export function createLatencyHistogram(): Int32Histogram {
  return new Int32Histogram(1, HIGHEST_TRACKABLE_US, 3)
}

/** ms → whole µs, clamped into the histogram's range (recordValue throws outside it). */
export function toMicros(ms: number): number {
  const us = Math.round(ms * 1000)
  if (us < 0) return 0
  return us > HIGHEST_TRACKABLE_US ? HIGHEST_TRACKABLE_US : us
}

/** Latency to response headers, ms with µs resolution. */
export interface LatencySummary {
  p50: number
  p90: number
  p99: number
  p999: number
  max: number
  mean: number
  /** Responses the figures are computed from. */
  count: number
}

/** The reported quantiles as exact fractions [numerator, denominator], so a rank needs no float rounding. */
const QUANTILES: readonly (readonly [number, number])[] = [
  [50, 100],
  [90, 100],
  [99, 100],
  [999, 1000],
]

/**
 * Summary of a ∪ b, whose latencies sum to `sumUs`. One pass over both count arrays, stopping at the p99.9
 * bucket, instead of merging into a third histogram and calling getValueAtPercentile four times: no extra
 * 95 KB per endpoint, and ~20 µs a call where the merge measured ~1 ms once V8 inlined the library's loops.
 */
export function summarizeLatency(a: Int32Histogram, b: Int32Histogram, sumUs: number): LatencySummary {
  const count = a.totalCount + b.totalCount
  const valuesUs = quantilesUs([a, b], QUANTILES)
  return {
    p50: toMillis(valuesUs[0]),
    p90: toMillis(valuesUs[1]),
    p99: toMillis(valuesUs[2]),
    p999: toMillis(valuesUs[3]),
    max: toMillis(Math.max(a.maxValue, b.maxValue)),
    mean: count > 0 ? toMillis(Math.round(sumUs / count)) : 0,
    count,
  }
}

/**
 * The values at `quantiles` (ascending exact fractions) of the union of `histograms`, µs; all 0 when they are
 * empty. One pass over the count arrays (the histograms share createLatencyHistogram's bucket layout), stopping
 * at the last quantile's bucket. A quantile is the top of its bucket, as in HdrHistogram, capped at the exact
 * max so that p99 ≤ max.
 */
export function quantilesUs(histograms: readonly Int32Histogram[], quantiles: readonly (readonly [number, number])[]): number[] {
  let count = 0
  let maxUs = 0
  for (const h of histograms) {
    count += h.totalCount
    maxUs = Math.max(maxUs, h.maxValue)
  }
  const ranks = quantiles.map(([num, den]) => Math.max(1, Math.ceil((count * num) / den)))
  const valuesUs = quantiles.map(() => 0)
  const layout = histograms[0]
  let next = 0
  let seen = 0
  for (let i = 0; count > 0 && next < ranks.length && i < layout.countsArrayLength; i++) {
    for (let h = 0; h < histograms.length; h++) seen += histograms[h].getCountAtIndex(i)
    for (; next < ranks.length && seen >= ranks[next]; next++) {
      valuesUs[next] = Math.min(layout.highestEquivalentValue(layout.valueFromIndex(i)), maxUs)
    }
  }
  return valuesUs
}

/** Whole µs → ms; division by a power of ten keeps the printed form short (5001 → 5.001). */
function toMillis(us: number): number {
  return us / 1000
}
