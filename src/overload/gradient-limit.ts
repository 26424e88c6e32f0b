import type { GradientConfig } from '../config/types.js'

/**
 * How much slower the long average learns from a window spent at the limit. The latency of a backend held at its
 * limit is not its baseline: learnt at full rate over a long overload, the baseline creeps up and the limit, and
 * the latency, with it (measured: a 30 s step to 300 % took the accepted p99 from 1.8× to 3× the unloaded one).
 * Learnt ten times slower it still follows a backend that really became slower (over minutes, not never).
 */
const SATURATED_SLOWDOWN = 10

/**
 * How far above recent use the limit may stand: at most USE_HEADROOM × the in-flight peak of the last windows. A
 * limit far above use admits a sudden step at once (measured: at 50 % load the limit sat at its initial 100 with
 * 8–14 in flight, so a step to 300 % let 100 in against a backend serving 16, and the first second set the p99 of
 * the whole step at 5.4× the unloaded one). Twice the peak keeps a burst of twice recent use out of the queue.
 */
const USE_HEADROOM = 2
/**
 * Following use, the limit stays at least this share of initialLimit (25 by default), room for a burst on a quiet
 * upstream (measured: at minLimit 10, 40 requests at once against an idle 50 ms backend lost 10 at the queue deadline
 * with slow start, which needs a round trip to double; none from 25). The bench's 50 % load already holds the limit above it (2 × a peak of 14).
 */
const USE_FLOOR = 0.25
/** Per window, the recent in-flight peak decays by this factor unless renewed: 0.5^(1/20), a half-life of 20 windows (2 s at 100 ms). */
const PEAK_DECAY = 0.966
/**
 * Slow start, as TCP's per acknowledgement: while requests wait, each response that shows no queueing (latency
 * within FAST_GROWTH_RTT × the baseline) raises the limit by one: that doubles it per round trip while the
 * backend has room. Gradient2's own growth (+0.2 × √limit per window) is far too slow for a healthy burst
 * (measured: 40 requests at once on an idle upstream with a 50 ms backend, limit 10 from following use, growth
 * × 1.25 per window: 20 shed at the 100 ms queue deadline). An overload stops it by itself: a response that
 * queued inside the backend is slower than the baseline and adds nothing.
 */
const FAST_GROWTH_RTT = 1.1

/**
 * Netflix's Gradient2 concurrency limit (concurrency-limits, Gradient2Limit), updated once per sample window
 * instead of once per sample so the hot path only adds to a sum:
 *   gradient = clamp(tolerance × longRtt / shortRtt, 0.5, 1)
 *   newLimit = limit × gradient + queueSize,   queueSize = max(4, √limit)
 *   limit    = clamp(newLimit < limit ? newLimit : limit × (1 − smoothing) + newLimit × smoothing, minLimit, maxLimit)
 * shortRtt is the window's mean latency to response headers, longRtt an exponential average over `longWindow`
 * windows (α = 2 / (longWindow + 1)). No gradient step while under-used (most in flight < limit / 2: the latency says
 * nothing about a limit nobody reached), but the limit never stands above USE_HEADROOM × the recent in-flight peak
 * (nor below USE_FLOOR × initialLimit), and it grows by one per response without queueing while requests wait
 * (slow start, FAST_GROWTH_RTT). When longRtt > 2 × shortRtt (latency back to normal after a long overload)
 * longRtt is cut by 5 % per window, as Netflix does, so the limit recovers without waiting for the average.
 * Two departures from Netflix: the long average learns ten times slower from windows at the limit
 * (SATURATED_SLOWDOWN), and only growth is smoothed (additive increase, multiplicative decrease, as TCP), so a
 * step to several times the capacity brings the limit down within a few windows instead of a few seconds.
 *
 * Chosen over Envoy's adaptive-concurrency filter: Envoy measures the no-load latency by dropping the limit to a
 * floor for a while every minRTT interval (30 s by default), which sheds or queues requests on a healthy upstream
 * on schedule; Gradient2 learns the baseline from live traffic, and the tolerance (1.5) leaves room for a
 * backend's own small queue.
 */
export class GradientLimit {
  /** The limit, fractional (the admission cap is its floor). */
  limit: number
  /** Exponential average of the window means, ms; 0 until the first window. */
  longRttMs = 0
  /** Mean latency of the last complete window, ms; 0 until then. */
  shortRttMs = 0
  private sumMs = 0
  private samples = 0
  private maxInflight = 0
  /** In-flight peak of the last windows, decaying by PEAK_DECAY per window. */
  private recentPeak = 0
  /**
   * The last change of the limit only followed use down (nobody near the limit): bookkeeping, not news. An idle
   * upstream's limit falls from initialLimit to its floor one window after start; announced, every upstream would
   * raise a limit-changed event at start-up and after every quiet spell.
   */
  followingUse = false
  /** Some sample of this window came while requests were held at the limit. */
  private saturated = false
  private windowStartMs: number
  private readonly alpha: number

  constructor(
    private readonly config: GradientConfig,
    nowMs: number,
  ) {
    this.limit = config.initialLimit
    this.windowStartMs = nowMs
    this.alpha = 2 / (config.longWindow + 1)
  }

  /**
   * One latency to response headers, ms, with `inflight` requests admitted, `saturated` when requests were held
   * at the limit (all permits taken or some waiting); true when the limit may have changed (slow start, or the
   * sample closed a window). O(1), no allocation.
   */
  sample(latencyMs: number, inflight: number, saturated: boolean, nowMs: number): boolean {
    this.sumMs += latencyMs
    this.samples++
    if (inflight > this.maxInflight) this.maxInflight = inflight
    let grew = false
    if (saturated) {
      this.saturated = true
      if (this.limit < this.config.maxLimit && latencyMs <= FAST_GROWTH_RTT * this.longRttMs) {
        this.limit = Math.min(this.limit + 1, this.config.maxLimit)
        this.followingUse = false
        grew = true
      }
    }
    if (nowMs - this.windowStartMs < this.config.windowMs || this.samples < this.config.minWindowSamples) return grew
    this.update(nowMs)
    return true
  }

  /** The window is over: the Gradient2 step. */
  private update(nowMs: number): void {
    const shortRtt = this.sumMs / this.samples
    const used = this.maxInflight
    const alpha = this.saturated ? this.alpha / SATURATED_SLOWDOWN : this.alpha
    this.sumMs = 0
    this.samples = 0
    this.maxInflight = 0
    this.saturated = false
    this.windowStartMs = nowMs
    this.shortRttMs = shortRtt
    this.longRttMs = this.longRttMs === 0 ? shortRtt : this.longRttMs + alpha * (shortRtt - this.longRttMs)
    if (this.longRttMs > 2 * shortRtt) this.longRttMs *= 0.95
    const c = this.config
    this.recentPeak = Math.max(used, this.recentPeak * PEAK_DECAY)
    const ceiling = Math.max(c.minLimit, c.initialLimit * USE_FLOOR, USE_HEADROOM * this.recentPeak)
    if (used < this.limit / 2) {
      // Nobody reached the limit: the latency says nothing about it, but it comes down to follow use.
      if (this.limit > ceiling) {
        this.limit = ceiling
        this.followingUse = true
      }
      return
    }
    this.followingUse = false
    const gradient = Math.max(0.5, Math.min(1, (c.tolerance * this.longRttMs) / shortRtt))
    const next = this.limit * gradient + Math.max(4, Math.sqrt(this.limit))
    // Growth is smoothed; a cut takes effect at once (the gradient floor already bounds it to half per window):
    // requests admitted over capacity queue inside the backend, and each window of delay adds to their wait.
    const smoothed = next < this.limit ? next : this.limit * (1 - c.smoothing) + next * c.smoothing
    this.limit = Math.max(c.minLimit, Math.min(c.maxLimit, ceiling, smoothed))
  }

  /** A reload: the limit and the latency baseline learned so far go on. */
  adopt(previous: GradientLimit): void {
    this.limit = Math.max(this.config.minLimit, Math.min(this.config.maxLimit, previous.limit))
    this.longRttMs = previous.longRttMs
    this.shortRttMs = previous.shortRttMs
    this.recentPeak = previous.recentPeak
  }
}
