/** The part of the budget hedges may hold; the rest stays for retries of requests that really failed. */
const HEDGE_SHARE = 0.5

/**
 * Envoy's retry budget: retries in flight may be at most `fraction` (0..1) of the requests in flight, with a floor
 * of `minConcurrent` so a quiet upstream can still retry. A retry storm (every request failing and
 * retrying) is thereby capped at 1 + fraction times the offered load instead of multiplying it.
 */
export class RetryBudget {
  /** Requests in flight on the upstream, retries included. */
  active = 0
  /** Retries in flight. */
  retrying = 0
  /** Retries refused by the budget (for metrics). */
  refused = 0
  /** Tokens granted since start: retries and hedges sent (for metrics). */
  granted = 0
  /**
   * Storm damping (overload/storm-damper.ts), 0..1: the allowance, floor included, is scaled by it, so retries
   * fall towards zero during a storm. 1 outside storms.
   */
  damping = 1
  /** Retries refused by the maxRetries circuit breaker (overload/breakers.ts), not by the budget. */
  overflows = 0

  constructor(
    private readonly fraction: number,
    private readonly minConcurrent: number,
    /** Hard ceiling on retries in flight whatever the budget says (the maxRetries breaker). */
    private readonly maxConcurrent = Infinity,
  ) {}

  /** A request (with all its tries) began. */
  requestStarted(): void {
    this.active++
  }

  /** A request ended; the retry tokens it held (retries and hedges) come back. */
  requestEnded(tokens: number): void {
    this.active--
    this.retrying -= tokens
  }

  /** Takes a retry token if the budget allows; it comes back when its request ends (requestEnded). */
  tryAcquireRetry(): boolean {
    if (this.tryAcquire(this.allowed())) return true
    this.refused++
    return false
  }

  /**
   * Takes a token for a hedge, a speculative copy: only while the tokens held stay under HEDGE_SHARE of the
   * budget. A slow spell makes many requests due for a hedge at once; without the reserve their copies took
   * every token, and a backend reset in the same spell found none left to retry requests that had failed
   * (seen in the soak test on a loaded machine: GETs answered 502 while two backends were healthy). A hedge
   * not sent is no failure, so it is not counted in `refused`.
   */
  tryAcquireHedge(): boolean {
    return this.tryAcquire(this.allowed() * HEDGE_SHARE)
  }

  private allowed(): number {
    return Math.max(this.minConcurrent, this.fraction * this.active) * this.damping
  }

  private tryAcquire(limit: number): boolean {
    if (this.retrying >= this.maxConcurrent) {
      this.overflows++
      return false
    }
    if (this.retrying < limit) {
      this.retrying++
      this.granted++
      return true
    }
    return false
  }
}
