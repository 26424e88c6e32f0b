import type { AdaptivePolicyConfig } from '../../config/types.js'
import { AdaptiveModelManager } from '../../model/adaptive-manager.js'
import { AdaptiveModel, BREAKDOWN_SIZE, Part } from '../../model/adaptive-model.js'
import { sampleNormal } from '../../model/gaussian.js'
import type { Clock } from '../../util/clock.js'
import type { Rng } from '../../util/rng.js'
import { TwoChoices } from '../two-choices.js'
import type { Endpoint, PickContext, PickExplanation, Policy } from '../types.js'
import { Outcome } from '../../util/outcome.js'

export interface AdaptiveDeps {
  /** Monotonic clock (ms): picks, decay, timers. */
  clock: Clock
  rng: Rng
  /** Wall clock, ms since the epoch: model version and save timestamps. Default Date.now. */
  wallClock?: () => number
}

/**
 * The learned policy. Each endpoint's expected cost is learned online from every answer (see
 * model/adaptive-model.ts): predicted latency (a regression on load and peak-EWMA latency, plus the
 * queueing term of its fitted latency-vs-load curve, never below the model-free stall and drain times of
 * what waits there) plus P(error) × errorPenaltyMs.
 *
 * A pick draws two distinct random candidates (power of two choices: O(1) whatever the number of
 * endpoints, Mitzenmacher 2001), samples each one's cost from N(expected cost, the model's uncertainty
 * about it) and takes the lower. That is Thompson sampling: an endpoint the model knows little about (new,
 * or not heard from for a while) sometimes samples low and is tried, one it knows to be bad almost never,
 * with no fixed exploration rate.
 *
 * Prequal's hot-cold rule (requests in flight above the ~84th percentile are "hot") assumes replicas of
 * equal capacity: with backends of 4 to 32 slots it would push traffic off the large ones. Its intent is
 * kept by the drain time, requests waiting ÷ the endpoint's own answer rate, which is in-flight measured
 * against each backend's capacity.
 *
 * A client abort never counts against an endpoint. A failure without an answer is an error, never a
 * latency sample, so a backend refusing connections in 1 ms does not look fast.
 */
export class AdaptivePolicy implements Policy {
  readonly name = 'adaptive'
  /** Versions, rollback, persistence, drift events: what the admin API and index.ts call. */
  readonly manager: AdaptiveModelManager
  /** The last pick: [candidate A index, candidate B index, chosen index]; −1 before any pick. No allocation. */
  readonly lastPickIndexes = new Int32Array([-1, -1, -1])
  /** The last pick's sampled costs of candidates A and B, ms. */
  readonly lastPickCosts = new Float64Array(2)
  private readonly clock: Clock
  private readonly rng: Rng
  private readonly choices = new TwoChoices()
  private readonly config: AdaptivePolicyConfig
  private model: AdaptiveModel
  /** Endpoint ids by index, as far as rebuild has shown them. */
  private ids: string[]
  private available: readonly Endpoint[]
  /** Scratch for evaluate(). */
  private readonly breakdown = new Float64Array(BREAKDOWN_SIZE)

  constructor(config: AdaptivePolicyConfig, deps: AdaptiveDeps) {
    this.config = config
    this.clock = deps.clock
    this.rng = deps.rng
    this.model = this.newModel(1)
    this.ids = ['#0']
    this.available = []
    this.manager = new AdaptiveModelManager(this.model, this.ids, {
      refitIntervalMs: config.refitIntervalMs,
      stateDir: config.stateDir,
      saveIntervalMs: config.saveIntervalMs,
      wallClock: deps.wallClock ?? Date.now,
    })
  }

  /** Learns ids; a larger index than seen so far means another endpoint set, and the model starts afresh. */
  rebuild(available: readonly Endpoint[]): void {
    this.available = available
    let size = this.model.size
    for (let i = 0; i < available.length; i++) size = Math.max(size, available[i].index + 1)
    if (size > this.model.size) {
      this.model = this.newModel(size)
      this.ids = Array.from({ length: size }, (_, i) => this.ids[i] ?? `#${i}`)
    }
    for (const e of available) this.ids[e.index] = e.id
    this.manager.attach(this.model, this.ids)
  }

  /** Takes over the previous adaptive policy's model for the endpoints that stayed, and its version history. */
  adopt(previous: Policy, from: Int32Array): void {
    if (!(previous instanceof AdaptivePolicy)) return
    if (from.length > this.model.size) {
      this.model = this.newModel(from.length)
      this.ids = Array.from({ length: from.length }, (_, i) => this.ids[i] ?? `#${i}`)
      this.manager.attach(this.model, this.ids)
    }
    // An endpoint the previous model never grew to (never routed there) has nothing to take over.
    const known = from.map((i) => (i < previous.model.size ? i : -1))
    this.model.adopt(previous.model, known)
    this.manager.adoptHistory(previous.manager)
  }

  pick(available: readonly Endpoint[], ctx: PickContext): Endpoint | null {
    this.choices.draw(available, this.rng, ctx.exclude)
    const a = this.choices.a
    const b = this.choices.b
    const now = this.clock.now()
    this.sampleCost(0, available[a], now)
    this.sampleCost(1, available[b], now)
    const chosen = this.lastPickCosts[0] <= this.lastPickCosts[1] ? available[a] : available[b]
    this.lastPickIndexes[0] = available[a].index
    this.lastPickIndexes[1] = available[b].index
    this.lastPickIndexes[2] = chosen.index
    this.model.features.recordPick(chosen.index, now)
    return chosen
  }

  observe(e: Endpoint, latencyMs: number, _status: number, outcome: Outcome, nowMs: number): void {
    const i = e.index
    if (i >= this.model.size) return // not shown by rebuild
    if (outcome === Outcome.ClientAbort) this.model.features.recordAbandoned(i) // the client left: not the backend's doing
    else if (outcome === Outcome.Success) this.model.learnSuccess(i, e.inflight, latencyMs, nowMs)
    else this.model.learnFailure(i, outcome !== Outcome.HttpError, nowMs)
  }

  tick(nowMs: number): void {
    for (const e of this.available) this.model.features.settle(e.index, e.inflight)
    this.manager.tick(nowMs)
  }

  /** The features, the predicted latency and its parts, P(error) and the expected cost of one more request to e. */
  explain(e: Endpoint): Record<string, number> {
    const i = e.index
    if (i >= this.model.size) return { inflight: e.inflight } // not shown by rebuild: nothing learned
    const now = this.clock.now()
    const parts = this.breakdown
    const features = this.model.features
    this.model.evaluate(i, e.inflight, now, parts)
    return {
      inflight: e.inflight,
      peakEwmaMs: features.peak.estimateMs[i],
      p99Ms: features.p99Ms(i),
      secondsSinceFailure: features.secondsSinceFailure(i, now),
      regressionMs: parts[Part.Regression],
      queueMs: parts[Part.Queue],
      stallMs: parts[Part.Stall],
      drainMs: parts[Part.Drain],
      predictedLatencyMs: parts[Part.Latency],
      errorProbability: parts[Part.ErrorProbability],
      errorCostMs: parts[Part.ErrorProbability] * this.config.errorPenaltyMs,
      costMs: parts[Part.Cost],
      costStdMs: Math.sqrt(parts[Part.Variance]),
      samples: this.model.samples(i),
      modelVersion: this.manager.currentVersion(),
    }
  }

  /** The last pick's candidates, sampled costs and choice (allocates: for a debug header); null before any pick. */
  explainPick(): PickExplanation | null {
    const [a, b, chosen] = this.lastPickIndexes
    if (chosen === -1) return null
    return {
      candidates: [
        { index: a, id: this.ids[a], sampledCostMs: this.lastPickCosts[0] },
        { index: b, id: this.ids[b], sampledCostMs: this.lastPickCosts[1] },
      ],
      chosen: this.ids[chosen],
    }
  }

  /**
   * One Thompson draw of e's cost into lastPickCosts[k]: expected cost + √variance · N(0, 1). It returns
   * nothing and draws before evaluating on purpose: V8 boxes a double returned by a function it does not
   * inline, and with evaluate() inlined first sampleNormal() was left out of the inlining budget.
   */
  private sampleCost(k: number, e: Endpoint, nowMs: number): void {
    const z = sampleNormal(this.rng)
    const parts = this.breakdown
    this.model.evaluate(e.index, e.inflight, nowMs, parts)
    this.lastPickCosts[k] = parts[Part.Cost] + Math.sqrt(parts[Part.Variance]) * z
  }

  private newModel(endpoints: number): AdaptiveModel {
    return new AdaptiveModel({ endpoints, forgetting: this.config.forgetting, errorPenaltyMs: this.config.errorPenaltyMs })
  }
}
