import { carrySlots } from '../../util/carry-over.js'

/**
 * Peak-EWMA latency estimates of a set of endpoints, by endpoint index (Finagle's and Linkerd's load
 * estimator): a sample above the estimate replaces it at once (a slowdown shows immediately); a lower one is
 * blended in, est ← est·w + sample·(1 − w) with w = e^(−Δt/τ), Δt the time since the last update (a
 * speed-up shows gradually, faster after a silence). O(1) per sample, no allocation.
 *
 * Two readings: `estimateMs` as last updated (what the adaptive model uses as a feature), and `decayedMs`,
 * decayed towards 0 for the time since (Finagle's read, so an endpoint that got no traffic for a while is
 * tried again: what the peak_ewma policy ranks by).
 */
export class PeakEwma {
  /** Estimates, ms. */
  estimateMs: Float64Array
  /** When each was last updated, ms on the caller's clock. */
  private stampMs: Float64Array

  constructor(
    size: number,
    /** τ, ms (Finagle and Linkerd: 10 s). */
    private readonly decayMs: number,
    /** Estimate before the first sample, ms. */
    private readonly initialMs: number,
    /**
     * Stamp before the first sample: −Infinity makes the first sample replace the initial estimate (w = 0);
     * the creation time makes it blend in like any other, starting from the initial estimate.
     */
    private readonly initialStampMs: number,
  ) {
    this.estimateMs = new Float64Array(size).fill(initialMs)
    this.stampMs = new Float64Array(size).fill(initialStampMs)
  }

  get size(): number {
    return this.estimateMs.length
  }

  /** Room for `size` endpoints; new slots start from the initial estimate, stamped `stampMs`. */
  grow(size: number, stampMs: number = this.initialStampMs): void {
    if (size <= this.estimateMs.length) return
    const estimate = new Float64Array(size).fill(this.initialMs)
    const stamp = new Float64Array(size).fill(stampMs)
    estimate.set(this.estimateMs)
    stamp.set(this.stampMs)
    this.estimateMs = estimate
    this.stampMs = stamp
  }

  /** After a reload: estimates of endpoints that stayed carry over (util/carry-over.ts). */
  adopt(previous: PeakEwma, from: Int32Array): void {
    carrySlots(previous.estimateMs, this.estimateMs, from)
    carrySlots(previous.stampMs, this.stampMs, from)
  }

  update(i: number, sampleMs: number, nowMs: number): void {
    const current = this.estimateMs[i]
    // Two stores, not one `a ? b : c`: the merge of a tagged argument and a computed double makes V8
    // box the double (a heap number per observe) when the caller is not inlined.
    if (sampleMs > current) this.estimateMs[i] = sampleMs
    else {
      const w = this.weight(i, nowMs)
      this.estimateMs[i] = current * w + sampleMs * (1 - w)
    }
    this.stampMs[i] = nowMs
  }

  /** Set the estimate to sampleMs (what an evidence stronger than one sample says, e.g. agreeing probes). */
  replace(i: number, sampleMs: number, nowMs: number): void {
    this.estimateMs[i] = sampleMs
    this.stampMs[i] = nowMs
  }

  /** The estimate decayed towards 0 for the time since its last update (not stored), ms. */
  decayedMs(i: number, nowMs: number): number {
    return this.estimateMs[i] * this.weight(i, nowMs)
  }

  /** w = e^(−Δt/τ), 1 for Δt ≤ 0, 0 before the first sample when the initial stamp is −Infinity. */
  private weight(i: number, nowMs: number): number {
    const elapsed = nowMs - this.stampMs[i]
    return elapsed <= 0 ? 1 : Math.exp(-elapsed / this.decayMs)
  }
}
