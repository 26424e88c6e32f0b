/**
 * The exploration budget of the adaptive policy: a pick may go to a candidate the model believes slower
 * than the best one (near-best-set.ts believedSlower) only while this token bucket holds a whole token.
 * Every pick adds `fraction` of a token, capped at MAX_TOKENS, so over any stretch of P picks at most
 * fraction·P + MAX_TOKENS of them explore: the tail is not set by exploration (DESIGN.md: anything above a
 * fraction of a percent to a backend believed slow sets the p99 by itself). What is not explored with real
 * requests is learned from timed probes (health/model-prober.ts).
 *
 * It also keeps the counts behind the exported exploration share: picks and explorations since start, and
 * the share over the last complete window (WINDOW_MS), for /api/model and Prometheus.
 */

/** Tokens the bucket holds at most: one exploration banked, no bursts. */
const MAX_TOKENS = 1
/** Window of the exported exploration share, ms. */
const WINDOW_MS = 10_000

export class ExplorationBudget {
  readonly fraction: number
  /** Picks and explorations since start. */
  picks = 0
  explored = 0
  private tokens = 0
  private windowStartMs = Number.NaN
  private windowPicks = 0
  private windowExplored = 0
  /** Share of picks that explored in the last complete window; 0 before one. */
  private lastShare = 0

  constructor(fraction: number) {
    this.fraction = fraction
  }

  /** A pick was made: earns its fraction of a token. Returns whether an exploration may be spent on it. */
  grant(): boolean {
    this.picks++
    const t = this.tokens + this.fraction
    this.tokens = t < MAX_TOKENS ? t : MAX_TOKENS
    return this.tokens >= 1
  }

  /** The pick explored: one token spent. */
  spend(): void {
    this.tokens -= 1
    this.explored++
  }

  /** On the policy's tick: closes the window when WINDOW_MS have passed. */
  tick(nowMs: number): void {
    if (Number.isNaN(this.windowStartMs)) {
      this.windowStartMs = nowMs
      this.windowPicks = this.picks
      this.windowExplored = this.explored
      return
    }
    if (nowMs - this.windowStartMs < WINDOW_MS) return
    const picks = this.picks - this.windowPicks
    this.lastShare = picks === 0 ? 0 : (this.explored - this.windowExplored) / picks
    this.windowStartMs = nowMs
    this.windowPicks = this.picks
    this.windowExplored = this.explored
  }

  /** Share (0..1) of picks that went to a candidate believed slower than the best, over the last complete window. */
  share(): number {
    return this.lastShare
  }
}
