/**
 * Small fixed-bucket latency histograms, one per endpoint (or per endpoint and interval), in a single
 * Uint32Array: enough to tell a p99 three times the cluster's median apart, at a fraction of an HDR
 * histogram's size (177 buckets, 708 bytes per histogram). Buckets are log-spaced, 8 per doubling:
 * bucket 0 holds [0, 0.125] ms, bucket k holds (0.125·2^((k−1)/8), 0.125·2^(k/8)] ms, up to
 * 0.125·2^22 ms ≈ 524 s; anything longer lands in the last.
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
    this.recordBucket(i, bucketOf(latencyMs))
  }

  /** record() with the bucket already computed (bucketOf): one logarithm for several histograms. */
  recordBucket(i: number, bucket: number): void {
    this.counts[i * BUCKETS + bucket]++
    this.totals[i]++
  }

  count(i: number): number {
    return this.totals[i]
  }

  /** The q-quantile (0 < q ≤ 1) of endpoint i, ms, as its bucket's upper bound; NaN when empty. */
  quantile(i: number, q: number): number {
    return this.quantileOfRange(i, 1, q)
  }

  /**
   * The q-quantile of histograms first .. first + count − 1 merged, as if one had recorded them all:
   * for callers that keep several histograms per endpoint (one per interval). Scans every bucket of each.
   */
  quantileOfRange(first: number, count: number, q: number): number {
    let total = 0
    for (let r = first; r < first + count; r++) total += this.totals[r]
    if (total === 0) return Number.NaN
    const rank = Math.max(1, Math.ceil(total * q))
    let seen = 0
    for (let k = 0; k < BUCKETS - 1; k++) {
      for (let r = first; r < first + count; r++) seen += this.counts[r * BUCKETS + k]
      if (seen >= rank) return upperBound(k)
    }
    return upperBound(BUCKETS - 1)
  }

  /** Empties every histogram: the start of a new interval. */
  clear(): void {
    this.counts.fill(0)
    this.totals.fill(0)
  }

  /**
   * For a group of `count` histograms kept oldest last (first = the newest): each moves one place towards
   * the oldest, the oldest is dropped and `first` starts empty. O(count × buckets).
   */
  shift(first: number, count: number): void {
    const start = first * BUCKETS
    const end = (first + count) * BUCKETS
    this.counts.copyWithin(start + BUCKETS, start, end - BUCKETS)
    this.counts.fill(0, start, start + BUCKETS)
    shiftGroup(this.totals, first, count)
  }
}

/** The per-histogram counterpart of LogHistograms.shift: a[first + 1 ..] = a[first ..], a[first] = 0, within the group. */
export function shiftGroup(a: Uint32Array, first: number, count: number): void {
  a.copyWithin(first + 1, first, first + count - 1)
  a[first] = 0
}

/** Upper bound of bucket k, ms. */
export function upperBound(k: number): number {
  return MIN_MS * 2 ** (k / PER_DOUBLING)
}

/** The bucket of a latency, ms: a logarithm (tens of ns), so compute it once per value. */
export function bucketOf(latencyMs: number): number {
  if (!(latencyMs > MIN_MS)) return 0 // also NaN and negatives
  const k = Math.ceil(Math.log2(latencyMs / MIN_MS) * PER_DOUBLING)
  return k < BUCKETS ? k : BUCKETS - 1
}
