import type { Int32Histogram } from 'hdr-histogram-js'

/**
 * Upper bounds (µs, inclusive) of the cumulative latency buckets exported as a Prometheus histogram:
 * 1, 2.5, 5, 10, 25, 50, 100, 250, 500 ms, 1, 2.5, 5, 10 s, then +Inf. A 1-2.5-5 ladder over four decades:
 * a proxied request on a LAN answers in 1-50 ms (the fine end: 1 ms separates "same host" from "network",
 * 25/50 ms the usual p99 SLO lines), a slow backend or a retry lands in 100 ms-1 s, and 2.5-10 s are the
 * timeouts' region (per-try and overall timeouts are seconds), so a timeout wall shows as a step. Each
 * bound is ~2.5× the previous, so histogram_quantile's linear interpolation errs by at most a bucket's
 * width; for exact recent quantiles there is the HDR quantile gauge. 14 series per endpoint.
 */
export const LATENCY_BUCKET_BOUNDS_US: readonly number[] = [
  1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000, 1_000_000, 2_500_000, 5_000_000, 10_000_000,
]

/** The count-array index holding each bound (histograms from createLatencyHistogram share one layout). */
let boundIndexes: Int32Array | null = null

/**
 * Adds the counts of `h` into `into` (LATENCY_BUCKET_BOUNDS_US.length + 1 slots, per bucket, not cumulative;
 * the last slot is above the last bound). A value goes to the first bucket whose bound shares or follows its
 * HDR bucket, so a bound is exact to the histogram's precision (3 significant digits: a value within 0.1 %
 * above a bound may count under it). Sums the count array between the bounds' indexes, stopping once every
 * recorded value is placed; run at rollover and at scrape, never per request (cost: README "Metrics").
 */
export function addToBuckets(h: Int32Histogram, into: Float64Array): void {
  const bounds = LATENCY_BUCKET_BOUNDS_US
  if (boundIndexes === null) boundIndexes = Int32Array.from(bounds, (us) => h.countsArrayIndex(us))
  const total = h.totalCount
  const length = h.countsArrayLength
  let seen = 0
  let i = 0
  for (let k = 0; k <= bounds.length && seen < total; k++) {
    const end = k < bounds.length ? boundIndexes[k] : length - 1
    let n = 0
    for (; i <= end; i++) n += h.getCountAtIndex(i)
    into[k] += n
    seen += n
  }
}
