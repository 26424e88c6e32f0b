import type { AdaptivePolicyConfig } from '../../config/types.js'
import { AdaptiveModelManager } from '../../model/adaptive-manager.js'
import { AdaptiveModel, BREAKDOWN_SIZE, Part } from '../../model/adaptive-model.js'
import { ExplorationBudget } from '../../model/exploration-budget.js'
import { normalCdf, sampleNormal } from '../../model/gaussian.js'
import { believedSlower, NearBestSet, TIE_SLACK_MS, tooCloseToCall } from '../../model/near-best-set.js'
import type { ProbeTarget } from '../../model/probe-target.js'
import type { Clock } from '../../util/clock.js'
import type { Rng } from '../../util/rng.js'
import { PoolChoices } from '../two-choices.js'
import type { Endpoint, PickContext, PickExplanation, Policy } from '../types.js'
import { Outcome } from '../../util/outcome.js'

/**
 * How stale the candidate pool may get before a pick refreshes it, ms: an O(n) pass over the endpoints'
 * expected costs (about 40 ns each), at most 10 times a second whatever the request rate, so it costs a
 * pick nothing measurable at 8 endpoints and well under a percent of a core at 1000.
 */
const POOL_REFRESH_MS = 100

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
 * A pick draws two distinct candidates from the model's view, not uniformly: from the pool of endpoints
 * whose expected cost is near the lowest (model/near-best-set.ts, refreshed at most every POOL_REFRESH_MS
 * and on tick), so a pick stays O(1) (two evaluations) and a slow half of the pool is never in the pair
 * (a uniform pair holds only slow candidates k(k−1)/(n(n−1)) of the time). It samples each one's cost
 * from N(expected cost, the model's uncertainty about it) and takes the lower (Thompson sampling), unless
 * the two are too close to call by what they cost alone (within 25 %, near-best-set.ts tooCloseToCall):
 * then the one whose load adds less, else the one with fewer requests in flight, so equal backends share
 * the load equally whatever the noise in their estimates (least-request among equals). When
 * the lower sample belongs to a candidate the model believes slower than the other (more than 2× its
 * expected cost), that is exploration: allowed only while the exploration budget (explorationFraction of
 * picks, default 0.5 %) has a token, else the better candidate is taken. The model learns about the
 * endpoints it sends nothing from timed probes instead (model/probe-target.ts, health/model-prober.ts):
 * exploration paid by probes, not by clients. Probes rather than shadow copies of requests: a probe needs
 * no idempotent request to copy, costs a backend one small GET per second at most, and runs on a timer,
 * while a shadow copy doubles a real request's work on a backend already believed slow.
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
  /** The last pick's expected costs and their standard deviations, A then B, ms: its choice probability. */
  private readonly lastPickMeans = new Float64Array(2)
  private readonly lastPickStds = new Float64Array(2)
  /** Answers the last pick's candidates were learned from, A then B. */
  private readonly lastPickSamples = new Float64Array(2)
  /** Requests in flight at the last pick's candidates, A then B. */
  private readonly lastPickInflight = new Int32Array(2)
  /** When the last pick's candidates were too close to call (tooCloseToCall): 0 or 1, the one taken by load; 2, a coin decided; −1, not tied. */
  private lastPickTie = -1
  /** Whether the last pick could have explored (the budget held a token), and its pair's probability. */
  private lastPickMayExplore = false
  private lastPairProbability = 1
  /** Picks that went to a candidate believed slower than the other, within the budget. */
  readonly exploration: ExplorationBudget
  /** Timed probes of endpoints the model hears nothing from (the Cluster starts them); null when off. */
  readonly probes: ProbeTarget | null
  private readonly clock: Clock
  private readonly rng: Rng
  private readonly choices = new PoolChoices()
  private pool: NearBestSet
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
    this.pool = new NearBestSet(1)
    this.exploration = new ExplorationBudget(config.explorationFraction)
    this.probes = config.probeIntervalMs > 0 ? this.probeTarget(config.probeIntervalMs, config.probePath) : null
    this.manager = new AdaptiveModelManager(this.model, this.ids, {
      refitIntervalMs: config.refitIntervalMs,
      stateDir: config.stateDir,
      saveIntervalMs: config.saveIntervalMs,
      wallClock: deps.wallClock ?? Date.now,
      exploration: this.exploration,
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
      this.pool = new NearBestSet(size)
    }
    for (const e of available) this.ids[e.index] = e.id
    this.manager.attach(this.model, this.ids)
    this.pool.reindex(available, this.model, this.clock.now())
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
    this.pool.reindex(this.available, this.model, this.clock.now())
  }

  pick(available: readonly Endpoint[], ctx: PickContext): Endpoint | null {
    const now = this.clock.now()
    if (available !== this.available) this.rebuild(available) // a caller that skipped rebuild (tests, benches)
    if (now - this.pool.refreshedAtMs >= POOL_REFRESH_MS) this.pool.refresh(available, this.model, now)
    this.choices.draw(available, this.pool, this.rng, ctx.exclude)
    const a = this.choices.a
    const b = this.choices.b
    this.sampleCost(0, available[a], now)
    this.sampleCost(1, available[b], now)
    const mayExplore = this.exploration.grant()
    const idleA = this.idleCost(0, available[a], now)
    const idleB = this.idleCost(1, available[b], now)
    const tie = tooCloseToCall(idleA, idleB) ? this.lessLoaded(idleA, idleB) : -1
    let k = this.lastPickCosts[0] <= this.lastPickCosts[1] ? 0 : 1
    if (tie !== -1) k = tie === 2 ? (this.rng.next() < 0.5 ? 0 : 1) : tie
    else if (believedSlower(this.lastPickMeans[k], this.lastPickMeans[1 - k], this.lastPickSamples[k])) {
      if (mayExplore) this.exploration.spend()
      else k = 1 - k
    }
    const chosen = k === 0 ? available[a] : available[b]
    this.lastPickIndexes[0] = available[a].index
    this.lastPickIndexes[1] = available[b].index
    this.lastPickIndexes[2] = chosen.index
    this.lastPickMayExplore = mayExplore
    this.lastPickTie = tie
    this.lastPairProbability = this.choices.pairProbability
    this.model.features.recordPick(chosen.index, now)
    return chosen
  }

  observe(e: Endpoint, latencyMs: number, _status: number, outcome: Outcome, nowMs: number): void {
    const i = e.index
    if (i >= this.model.size) return // not shown by rebuild
    if (outcome === Outcome.ClientAbort) this.model.features.recordAbandoned(i) // the client left: not the backend's doing
    else if (outcome === Outcome.Success) this.model.learnSuccess(i, e.inflight, latencyMs, nowMs)
    // A try cut after a wait (a per-try timeout, a hedge's loser: Cluster.observeHedgeLoser) stalled at least that long.
    else if (outcome === Outcome.Timeout && latencyMs > 0) this.model.learnStall(i, e.inflight, latencyMs, nowMs)
    else this.model.learnFailure(i, outcome !== Outcome.HttpError, nowMs)
  }

  tick(nowMs: number): void {
    for (const e of this.available) this.model.features.settle(e.index, e.inflight)
    this.manager.tick(nowMs)
    this.exploration.tick(nowMs)
    this.pool.refresh(this.available, this.model, nowMs)
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

  /**
   * The last pick's candidates, sampled costs and choice (allocates: for a debug header); null before any pick.
   * With the probabilities that pick really had, for the decision log: its pair's (PoolChoices), and its
   * choice's: Thompson's P(chosen samples lower) = Φ((μ_other − μ_chosen)/√(σ_chosen² + σ_other²)),
   * moved by the budget rule (a candidate believed slower wins only when the budget held a token); for a
   * pair too close to call, 1 or 0 by load, ½ when a coin decided.
   */
  explainPick(): PickExplanation | null {
    const [a, b, chosen] = this.lastPickIndexes
    if (chosen === -1) return null
    return {
      candidates: [
        { index: a, id: this.ids[a], sampledCostMs: this.lastPickCosts[0] },
        { index: b, id: this.ids[b], sampledCostMs: this.lastPickCosts[1] },
      ],
      chosen: this.ids[chosen],
      pairProbability: this.lastPairProbability,
      choiceProbability: a === b ? 1 : this.choiceProbability(chosen === a ? 0 : 1),
    }
  }

  /** Share (0..1) of picks that went to a candidate believed slower than the other, over the last 10 s window. */
  explorationShare(): number {
    return this.exploration.share()
  }

  /**
   * Of the last pick's two candidates, too close to call by their idle costs (ms), the one whose load adds
   * less: its expected cost now minus its idle cost (queueing, stall, drain; what is not estimate noise),
   * when those differ by more than TIE_SLACK_MS; else the one with fewer requests in flight (least-request
   * among equals); else 2 (a coin decides).
   */
  private lessLoaded(idleA: number, idleB: number): number {
    const added = this.lastPickMeans[0] - idleA - (this.lastPickMeans[1] - idleB)
    if (added > TIE_SLACK_MS) return 1
    if (added < -TIE_SLACK_MS) return 0
    const a = this.lastPickInflight[0]
    const b = this.lastPickInflight[1]
    return a === b ? 2 : a < b ? 0 : 1
  }

  /**
   * Candidate k's expected cost for a request sent alone now, ms: its sampled mean when nothing is in flight
   * there (no second evaluation), else evaluated at in-flight 0. Fresh, not the pool's (up to POOL_REFRESH_MS
   * old): against a stale idle cost, an estimate learned since the refresh read as load, so at start-up the
   * first endpoint to answer fast took every pick for 100 ms (a three-backend test sent one of them nothing in
   * 30 requests).
   */
  private idleCost(k: number, e: Endpoint, nowMs: number): number {
    if (e.inflight === 0) return this.lastPickMeans[k]
    this.model.evaluate(e.index, 0, nowMs, this.breakdown)
    return this.breakdown[Part.Cost]
  }

  /** P(the last pick chose candidate k), as explainPick describes. */
  private choiceProbability(k: number): number {
    if (this.lastPickTie !== -1) return this.lastPickTie === 2 ? 0.5 : this.lastPickTie === k ? 1 : 0
    const mine = this.lastPickMeans[k]
    const other = this.lastPickMeans[1 - k]
    const spread = Math.hypot(this.lastPickStds[0], this.lastPickStds[1])
    const thompson = spread === 0 ? (mine < other ? 1 : mine > other ? 0 : k === 0 ? 1 : 0) : normalCdf((other - mine) / spread)
    if (believedSlower(mine, other, this.lastPickSamples[k])) return this.lastPickMayExplore ? thompson : 0
    if (believedSlower(other, mine, this.lastPickSamples[1 - k])) return this.lastPickMayExplore ? thompson : 1
    return thompson
  }

  /** What the model prober asks of and tells this policy (see model/probe-target.ts). */
  private probeTarget(intervalMs: number, path: string): ProbeTarget {
    const lastProbeMs: number[] = []
    return {
      intervalMs,
      path,
      wantsProbe: (i, nowMs) => {
        const available = this.pool.positionOf
        if (i >= this.model.size || i >= available.length || available[i] < 0) return false // not routable: health's to probe
        if (nowMs - this.model.features.lastAnswerMs[i] < intervalMs) return false // heard from: no news a probe would add
        if (nowMs - (lastProbeMs[i] ?? -Infinity) < intervalMs) return false // the per-endpoint budget: one per interval
        lastProbeMs[i] = nowMs
        return true
      },
      onProbe: (i, latencyMs, outcome, nowMs) => {
        if (i >= this.model.size) return
        const e = this.available[this.pool.positionOf[i]]
        this.model.learnProbe(i, e === undefined ? 0 : e.inflight, latencyMs, outcome, nowMs)
      },
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
    const std = Math.sqrt(parts[Part.Variance])
    this.lastPickMeans[k] = parts[Part.Cost]
    this.lastPickStds[k] = std
    this.lastPickSamples[k] = this.model.samples(e.index)
    this.lastPickInflight[k] = e.inflight
    this.lastPickCosts[k] = parts[Part.Cost] + std * z
  }

  private newModel(endpoints: number): AdaptiveModel {
    return new AdaptiveModel({ endpoints, forgetting: this.config.forgetting, errorPenaltyMs: this.config.errorPenaltyMs })
  }
}
