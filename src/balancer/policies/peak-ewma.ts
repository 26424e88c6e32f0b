import type { Clock } from '../../util/clock.js'
import type { Rng } from '../../util/rng.js'
import { PeakEwma } from '../load/peak-ewma.js'
import { TwoChoices } from '../two-choices.js'
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
  private readonly estimates: PeakEwma
  private readonly options: PeakEwmaOptions
  private readonly choices = new TwoChoices()

  constructor(options: PeakEwmaOptions) {
    this.options = options
    this.estimates = new PeakEwma(0, options.decayMs, options.defaultRttMs, options.clock.now())
  }

  rebuild(available: readonly Endpoint[]): void {
    let size = 0
    for (let i = 0; i < available.length; i++) size = Math.max(size, available[i].index + 1)
    this.estimates.grow(size, this.options.clock.now())
  }

  pick(available: readonly Endpoint[], ctx: PickContext): Endpoint | null {
    this.choices.draw(available, this.options.rng, ctx.exclude)
    const a = available[this.choices.a]
    const b = available[this.choices.b]
    const now = this.options.clock.now()
    return this.cost(a, now) <= this.cost(b, now) ? a : b
  }

  observe(e: Endpoint, latencyMs: number, _status: number, outcome: Outcome, nowMs: number): void {
    if (outcome === Outcome.ClientAbort) return // the client left: says nothing about the endpoint
    const sample = outcome === Outcome.Success || outcome === Outcome.HttpError ? latencyMs : this.options.failurePenaltyMs
    this.estimates.update(e.index, sample, nowMs)
  }

  tick(): void {}

  adopt(previous: Policy, from: Int32Array): void {
    if (!(previous instanceof PeakEwmaPolicy)) return
    this.estimates.grow(from.length, this.options.clock.now())
    this.estimates.adopt(previous.estimates, from)
  }

  explain(e: Endpoint): Record<string, number> {
    const now = this.options.clock.now()
    return { estimateMs: this.estimates.decayedMs(e.index, now), inflight: e.inflight, cost: this.cost(e, now) }
  }

  private cost(e: Endpoint, nowMs: number): number {
    return this.estimates.decayedMs(e.index, nowMs) * (e.inflight + 1)
  }
}
