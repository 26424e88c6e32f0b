import type { Clock } from '../../util/clock.js'
import type { Rng } from '../../util/rng.js'
import type { Endpoint, PickContext, Policy } from '../types.js'
import { Outcome } from '../../util/outcome.js'

export interface PeakEwmaOptions {
  /** Time constant τ of the moving average, ms (Finagle and Linkerd use 10 s). */
  decayMs: number
  /** Latency assumed before an endpoint's first sample, ms (Linkerd's default RTT is 30 ms). */
  defaultRttMs: number
  /** Latency sample recorded for a failed attempt, ms, so a fast-failing endpoint does not look fast. */
  failurePenaltyMs: number
  clock: Clock
  rng: Rng
}

/**
 * Peak-EWMA (Finagle, Linkerd): a latency estimate that jumps up to any sample above it and decays
 * towards lower samples with weight w = e^(−Δt/τ); reading decays it towards 0 as if a 0 ms sample arrived,
 * so an endpoint that got no traffic for a while is tried again. cost = estimate × (in-flight + 1); the
 * lower of two random candidates wins (power of two choices). Failed attempts count as `failurePenaltyMs`.
 */
export class PeakEwmaPolicy implements Policy {
  readonly name = 'peak_ewma'
  private estimateMs = new Float64Array(0)
  private stampMs = new Float64Array(0)
  private readonly options: PeakEwmaOptions

  constructor(options: PeakEwmaOptions) {
    this.options = options
  }

  rebuild(available: readonly Endpoint[]): void {
    let size = 0
    for (let i = 0; i < available.length; i++) size = Math.max(size, available[i].index + 1)
    if (size <= this.estimateMs.length) return
    const estimate = new Float64Array(size).fill(this.options.defaultRttMs)
    const stamp = new Float64Array(size).fill(this.options.clock.now())
    estimate.set(this.estimateMs)
    stamp.set(this.stampMs)
    this.estimateMs = estimate
    this.stampMs = stamp
  }

  pick(available: readonly Endpoint[], ctx: PickContext): Endpoint | null {
    const n = available.length
    const rng = this.options.rng
    let a = (rng.next() * n) | 0
    let b = (rng.next() * (n - 1)) | 0
    if (b >= a) b++ // two distinct candidates
    if (available[a].index === ctx.exclude) a = b
    else if (available[b].index === ctx.exclude) b = a
    const now = this.options.clock.now()
    return this.cost(available[a], now) <= this.cost(available[b], now) ? available[a] : available[b]
  }

  observe(e: Endpoint, latencyMs: number, _status: number, outcome: Outcome, nowMs: number): void {
    if (outcome === Outcome.ClientAbort) return // the client left: says nothing about the endpoint
    const sample = outcome === Outcome.Success || outcome === Outcome.HttpError ? latencyMs : this.options.failurePenaltyMs
    this.update(e.index, sample, nowMs)
  }

  tick(): void {}

  explain(e: Endpoint): Record<string, number> {
    const now = this.options.clock.now()
    return { estimateMs: this.decayed(e.index, now), inflight: e.inflight, cost: this.cost(e, now) }
  }

  private cost(e: Endpoint, nowMs: number): number {
    return this.decayed(e.index, nowMs) * (e.inflight + 1)
  }

  /** The estimate as read now: decayed towards 0 for the time since its last update (not stored). */
  private decayed(i: number, nowMs: number): number {
    return this.estimateMs[i] * this.weight(i, nowMs)
  }

  private update(i: number, sampleMs: number, nowMs: number): void {
    const w = this.weight(i, nowMs)
    const current = this.estimateMs[i]
    // Two stores, not one `a ? b : c`: the merge of a tagged argument and a computed double makes V8
    // box the double (a heap number per observe) when observe() is not inlined into its caller.
    if (sampleMs > current) this.estimateMs[i] = sampleMs
    else this.estimateMs[i] = current * w + sampleMs * (1 - w)
    this.stampMs[i] = nowMs
  }

  /** w = e^(−Δt/τ), Δt ≥ 0. */
  private weight(i: number, nowMs: number): number {
    const elapsed = nowMs - this.stampMs[i]
    return elapsed <= 0 ? 1 : Math.exp(-elapsed / this.options.decayMs)
  }
}
