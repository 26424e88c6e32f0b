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
    if (this.retrying >= this.maxConcurrent) {
      this.overflows++
      return false
    }
    const allowed = Math.max(this.minConcurrent, this.fraction * this.active)
    if (this.retrying < allowed) {
      this.retrying++
      this.granted++
      return true
    }
    this.refused++
    return false
  }
}
