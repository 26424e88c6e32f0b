/**
 * Small fixed-bucket latency histograms, one per endpoint, in a single Uint32Array: enough to tell a p99
 * three times the cluster's median apart, at a fraction of an HDR histogram's size (177 buckets, 708 bytes
 * per endpoint). Buckets are log-spaced, 8 per doubling: bucket 0 holds [0, 0.125] ms, bucket k holds
 * (0.125·2^((k−1)/8), 0.125·2^(k/8)] ms, up to 0.125·2^22 ms ≈ 524 s; anything longer lands in the last.
 * A quantile is reported as its bucket's upper bound, so it overestimates by at most 2^(1/8) − 1 ≈ 9 %.
 */
const MIN_MS = 0.125
const PER_DOUBLING = 8
const DOUBLINGS = 22
export const BUCKETS = PER_DOUBLING * DOUBLINGS + 1

export class LogHistograms {
  private readonly counts: Uint32Array
  private readonly totals: Uint32Array

  constructor(endpoints: number) {
    this.counts = new Uint32Array(endpoints * BUCKETS)
    this.totals = new Uint32Array(endpoints)
  }

  /** O(1), no allocation. */
  record(i: number, latencyMs: number): void {
    this.counts[i * BUCKETS + bucketOf(latencyMs)]++
    this.totals[i]++
  }

  count(i: number): number {
    return this.totals[i]
  }

  /** The q-quantile (0 < q ≤ 1) of endpoint i, ms, as its bucket's upper bound; NaN when empty. */
  quantile(i: number, q: number): number {
    const total = this.totals[i]
    if (total === 0) return Number.NaN
    const rank = Math.max(1, Math.ceil(total * q))
    const base = i * BUCKETS
    let seen = 0
    for (let k = 0; k < BUCKETS - 1; k++) {
      seen += this.counts[base + k]
      if (seen >= rank) return upperBound(k)
    }
    return upperBound(BUCKETS - 1)
  }

  /** Empties every histogram: the start of a new interval. */
  clear(): void {
    this.counts.fill(0)
    this.totals.fill(0)
  }

  /** Empties endpoint i's histogram. */
  clearOne(i: number): void {
    this.counts.fill(0, i * BUCKETS, (i + 1) * BUCKETS)
    this.totals[i] = 0
  }
}

/** Upper bound of bucket k, ms. */
export function upperBound(k: number): number {
  return MIN_MS * 2 ** (k / PER_DOUBLING)
}

function bucketOf(latencyMs: number): number {
  if (!(latencyMs > MIN_MS)) return 0 // also NaN and negatives
  const k = Math.ceil(Math.log2(latencyMs / MIN_MS) * PER_DOUBLING)
  return k < BUCKETS ? k : BUCKETS - 1
}
