import { AdaptiveFeatures, ProbeNews } from './adaptive-features.js'
import { CapacityCurves, CURVE_COEFFICIENTS } from './capacity-curves.js'
import { OnlineRegression, type RegressionState } from './online-regression.js'
import { PageHinkley } from './page-hinkley.js'
import type { ProbeOutcome } from './probe-target.js'

/** What an AdaptiveModel is built with. */
export interface AdaptiveModelOptions {
  /** Endpoints, indexed by Endpoint.index. */
  endpoints: number
  /** RLS forgetting factor λ per sample, in (0, 1]. */
  forgetting: number
  /** Cost of an error in ms of latency. */
  errorPenaltyMs: number
}

/** Slots of the breakdown evaluate() writes. */
export const enum Part {
  /** regression(x), ms. */
  Regression = 0,
  /** queue(q), ms. */
  Queue = 1,
  /** Time the endpoint has had requests waiting and answered none, ms. */
  Stall = 2,
  /** Time to drain what waits at the endpoint at its answer rate, ms. */
  Drain = 3,
  /** max(Regression + Queue, Stall, Drain), ms. */
  Latency = 4,
  ErrorProbability = 5,
  /** Expected cost, ms. */
  Cost = 6,
  /** Variance of the expected cost (the model's uncertainty about it), ms². */
  Variance = 7,
  /** Latency × loadWeight × the load the backend reported (fading), ms; 0 without load reports. */
  Load = 8,
}
export const BREAKDOWN_SIZE = 9

/** D: features of the regression. */
export const FEATURES = 2
/** Scales that bring the features to order 1, so one isotropic prior P = δ·I suits all of them. */
const INFLIGHT_SCALE = 10
/** Prior weights: latency = peak-EWMA (LATENCY_SCALE_MS × peak/LATENCY_SCALE_MS). */
const LATENCY_SCALE_MS = 100
const PRIOR_WEIGHTS = Float64Array.of(0, LATENCY_SCALE_MS)
/**
 * δ of the prior P = δ·I. The weights' covariance is σ̂²·P, so at its prior (and when aged back to it)
 * the regression is unsure by about √δ·σ̂ per unit of feature. In simulation OnlineRegression's default
 * of 100 let a noisy, rarely picked backend be probed often enough at 50 req/s to cost 11% on the p99 of
 * a degrading-backend run; δ = 1 made a recovered backend take twice as long to win its share back at
 * 500 req/s; δ = 10 did both within 5% of the best.
 */
const PRIOR_COVARIANCE = 10
/**
 * How fast what the regression learned ages: P grows by e every AGE_E_FOLD_MS (up to the prior, by the
 * regression's trace bound). For a busy endpoint this is about what λ = 0.995 per sample does anyway at
 * 100 answers/s; for one picked rarely it is what lets its few answers move the model. In simulation a
 * backend that went from 100 ms to 10 ms had 5% of the traffic over the next 5–20 s without ageing and
 * its full share (25–30%) with it; 1, 2 and 5 s did about equally well, 2 s is the middle.
 */
const AGE_E_FOLD_MS = 2_000
/**
 * Variance per second of an unobserved endpoint's log latency (see the class comment): after 5 s of
 * silence its latency is known to ±30% (1σ), after 50 s to ±100%. 0.01 to 0.04 did about equally well in
 * simulation; more costs p99 at low request rates, less slows the return of a recovered backend.
 * Idle time counts up to MAX_IDLE_S, so an endpoint never heard from has a large but finite variance.
 */
const STALENESS = 0.02
const MAX_IDLE_S = 60
/**
 * Page-Hinkley on the residual in units of the endpoint's residual standard deviation: tolerate a 0.5σ
 * shift of the mean, alarm when the cumulative shift passes 40σ·samples (a sustained 3σ shift: ≈ 16 answers).
 */
const DRIFT_TOLERANCE = 0.5
const DRIFT_THRESHOLD = 40
/** Answers before an endpoint's drift is told: Page-Hinkley's own warm-up (page-hinkley.ts, as river's). */
const DRIFT_MIN_SAMPLES = 30
/**
 * An alarm within this many ms of the endpoint's last drift is not acted on: its covariance was just reset
 * and the regression is still re-learning. Page-Hinkley assumes independent samples, and answers are not:
 * a GC pause or a saturated event loop delays every request in flight at once, and at thousands of answers
 * a second such bursts alone raised an alarm every second (npm run bench, adaptive, 50 connections),
 * resetting the model each time and logging a warning per second. 5 s bounds that to one per 5 s.
 */
const DRIFT_REFRACTORY_MS = 5_000
/**
 * Alarms of two endpoints this close together, ms, are one event they share, not drift of either: a pause of
 * the proxy's event loop, of the network or of a host they share delays every answer in flight at once, and at
 * thousands of answers a second that alone raised an alarm on every endpoint together (npm run bench: both
 * endpoints every 5 s, the refractory bound, each a "model drift: refitted" warning and a model version). A
 * change of one endpoint raises its alarm alone. The first alarm of a shared event was already acted on: its
 * flag is taken back (no version, no warning) and its covariance reset stays; the later ones get the same
 * reset and refractory without a flag, so a shared change that lasts is re-learned as fast as a drift. An
 * upstream of one endpoint has nothing to compare with: its alarms are drift as before.
 */
const COMMON_MODE_MS = 100
/** P(error) under which an endpoint's regression counts among its peers' (peersWeights). */
const PEER_MAX_ERROR = 0.05
/** e-folds of P growth on drift: e^50 reaches the trace bound from any learned P. */
const DRIFT_E_FOLDS = 50
/**
 * A refit pass fits at most REFITS_PER_PASS curves, continuing round-robin where the last one stopped,
 * and skips endpoints with too few answers since their last fit (capacity-curves.ts, nothing new to
 * learn). A fit of a full 512-sample ring (degrees 1–3) costs 0.2–0.35 ms (bench/micro/pick-adaptive.ts),
 * and it runs on the proxy's event loop, so a pass stays under about 3 ms however many endpoints there
 * are; with 1,000 busy endpoints each curve is refitted every 125 passes (about 2 minutes at 1 s).
 */
const REFITS_PER_PASS = 8

/**
 * The adaptive policy's model of every endpoint: what one more request sent there now is expected to cost
 * (ms), and how sure the model is of that. Learning (learn*, O(1) per answer) and evaluating (evaluate,
 * O(D²)) allocate nothing; refits, ageing and drift bookkeeping run on the policy's timer.
 *
 *   cost     = latency · (1 + loadWeight · reported load) + P(error) · errorPenaltyMs
 *   latency  = max(regression(x) + queue(q), stall, drain)
 *   variance = σ̂²·xᵀPx + latency²·STALENESS·idle + errorPenaltyMs² · P(1 − P) / (evidence + 1)
 *
 * - regression(x): recursive least squares (OnlineRegression) on x = [q/Q, peak-EWMA/L], q the in-flight
 *   count including this request, learning the latency the capacity curve does not explain (y − queue(q)).
 *   The peak-EWMA carries the level: the prior is "latency = peak-EWMA", so before much data the model
 *   behaves like Linkerd's estimator, and it follows a degrading backend at its first slow answer. There
 *   is no constant term: for a steady backend a constant is nearly collinear with the peak-EWMA, the
 *   covariance winds up along that unexcited direction until OnlineRegression's trace bound, and that
 *   starved the load weight of gain (a changed load slope was not learned after 5,000 answers; without
 *   the constant it is within a few hundred).
 *   The table's other features are not regressors, by measurement in simulation
 *   (test/unit/balancer/adaptive-sim.ts): the p99 of a backend that just changed speed is a mixture's and
 *   swings far outside its usual range, and the regression extrapolated on it (a recovered backend took
 *   twice as long to win its traffic back); errors are priced by the error model below instead.
 * - queue(q): the load-dependent part, from the endpoint's latency-vs-in-flight curve (CapacityCurves,
 *   a polynomial refitted on the timer): curve(q) − curve(1), flat below the knee and bending up past it.
 *   It is the prior for the load term; the regression's q weight corrects it near the data.
 * - stall, drain: model-free lower bounds from what is waiting at the endpoint (AdaptiveFeatures): how
 *   long it has answered nothing, and how long what waits takes to drain at its answer rate. They hold
 *   while the learned terms are still wrong: a backend that hangs, or one driven past its capacity.
 * - P(error): AdaptiveFeatures' decayed Beta estimate. Only answers that are not errors train latency,
 *   so a backend refusing connections in 1 ms costs about errorPenaltyMs, never 1 ms.
 * - reported load: what the backend says of itself (upstream `loadReport`, e.g. ORCA cpu_utilization), priced at
 *   a configured weight rather than learned, as a factor on the latency so the weight means the same for a 2 ms
 *   and a 200 ms service (weight 1: a backend reporting cpu_utilization 1 costs twice its latency). It is worth having because it leads: CPU rises before latency
 *   does, and a regression on contemporaneous latency would learn its weight down to 0 exactly while it leads
 *   (the latency has not moved yet), so it would be unlearned when it matters (as gRPC's weighted round robin
 *   uses ORCA utilisation as reported, not fitted).
 * - variance: the uncertainty about the expected cost, never the noise σ̂² of single answers, so Thompson
 *   sampling stops exploring an endpoint it knows well and there is no fixed exploration rate:
 *   · σ̂²·xᵀPx, the regression's uncertainty at x (its prediction variance minus σ̂²);
 *   · latency²·STALENESS·idle: an endpoint not heard from for `idle` seconds may have changed. Its log
 *     latency is taken to random-walk with variance STALENESS per second (a Kalman filter's process
 *     noise), so to first order its latency's standard deviation is latency·√(STALENESS·idle): a backend
 *     ten times slower than its peers is probed every few seconds, and one that recovered is found;
 *   · P(error)'s Beta variance P(1 − P)/(evidence + 1), priced at errorPenaltyMs.
 *   What the regression learned also ages with time, not only with samples (age(): P grows by e every
 *   AGE_E_FOLD_MS), so the first answers of a rarely used endpoint move it far: a probe that finds a
 *   recovered backend is believed at once.
 */
export class AdaptiveModel {
  readonly size: number
  readonly features: AdaptiveFeatures
  /** Cost factor per unit of reported load; 0 (default): reports are not priced. Set by the manager (upstream loadReport.weight). */
  loadWeight = 0
  private readonly errorPenaltyMs: number
  private readonly forgettingRate: number
  private readonly regression: OnlineRegression
  private readonly capacity: CapacityCurves
  private readonly drift: PageHinkley
  /** Scratch feature vector, reused by every learn and evaluate. */
  private readonly x = new Float64Array(FEATURES)
  /** Where the next refit pass starts. */
  private refitCursor = 0
  /** When age() last ran; NaN before the first. */
  private agedAtMs = Number.NaN
  /** 1 when drift was detected at the endpoint since the last takeDrift(). */
  private readonly drifted: Uint8Array
  /** When drift, or an alarm shared with another endpoint, was last acted on per endpoint, ms; −Infinity before any. */
  private readonly driftedAtMs: Float64Array
  /** When each endpoint was last found answering again after refusing or hanging (backUp), ms; −Infinity before. */
  private readonly backUpAtMs: Float64Array
  /** The last Page-Hinkley alarm of any endpoint: when, ms, and whose (−1 before any), for COMMON_MODE_MS. */
  private lastAlarmMs = -Infinity
  private lastAlarmEndpoint = -1

  constructor(options: AdaptiveModelOptions) {
    const n = options.endpoints
    this.size = n
    this.errorPenaltyMs = options.errorPenaltyMs
    this.forgettingRate = -Math.log(options.forgetting)
    this.features = new AdaptiveFeatures(n)
    this.regression = new OnlineRegression({
      endpoints: n,
      features: FEATURES,
      forgetting: options.forgetting,
      initialCovariance: PRIOR_COVARIANCE,
    })
    this.capacity = new CapacityCurves(n)
    this.drift = new PageHinkley({ endpoints: n, tolerance: DRIFT_TOLERANCE, threshold: DRIFT_THRESHOLD, detectDecrease: true, minSamples: DRIFT_MIN_SAMPLES })
    this.drifted = new Uint8Array(n)
    this.driftedAtMs = new Float64Array(n).fill(-Infinity)
    this.backUpAtMs = new Float64Array(n).fill(-Infinity)
    for (let i = 0; i < n; i++) this.regression.setWeights(i, PRIOR_WEIGHTS)
  }

  /**
   * A successful answer after latencyMs with `inflight` requests at the endpoint (this one included).
   * Learns with the features as they were before it (what a pick saw), then updates them.
   */
  learnSuccess(i: number, inflight: number, latencyMs: number, nowMs: number): void {
    this.learnLatency(i, inflight, latencyMs, nowMs)
    this.features.recordSuccess(i, latencyMs, nowMs)
  }

  /**
   * A try cut after waitMs without an answer (a timeout, a hedge's loser): the error model learns a gateway
   * failure and the latency model an answer of waitMs, a lower bound on what it would have taken (so the
   * estimate is at least the wait: a stall is latency the model must see, not only an error).
   */
  learnStall(i: number, inflight: number, waitMs: number, nowMs: number): void {
    // Sent before the endpoint was last found back up (backUp): news of the outage, not of the endpoint now.
    if (nowMs - waitMs < this.backUpAtMs[i]) {
      this.features.recordAbandoned(i)
      return
    }
    this.learnLatency(i, inflight, waitMs, nowMs)
    this.features.recordStall(i, waitMs, nowMs)
  }

  /**
   * A timed probe (health/model-prober.ts) answered after latencyMs with `inflight` requests of Baton's at the
   * endpoint plus the probe: an observation like a request's at in-flight + 1, which for the endpoints probed
   * (those the policy sends nothing) is in-flight 1, the capacity curve's intercept. A probe that failed
   * teaches the error model only; one that timed out also its wait, as a stalled request does.
   */
  learnProbe(i: number, inflight: number, latencyMs: number, outcome: ProbeOutcome, nowMs: number): void {
    const answered = outcome === 'ok' || outcome === 'stall'
    const news = this.features.recordProbe(i, answered ? latencyMs : -1, outcome !== 'ok', outcome !== 'error', nowMs)
    // Two probes found it faster than believed: it recovered, and what was learned of the slow backend (its
    // capacity curve's queueing, the regression's weights) would keep its cost up for hundreds of answers.
    // Drift, and a curve learned afresh from the answers to come; not before DRIFT_MIN_SAMPLES answers, when
    // nothing much was learned to be stale (the first probe of a fresh endpoint also pays for its connection,
    // so the second and third read as a speed-up: a drift event per endpoint at start-up, seen in the demo).
    if (news === ProbeNews.Faster && this.regression.samples(i) >= DRIFT_MIN_SAMPLES) {
      this.capacity.reset(i)
      this.onDrift(i, nowMs)
    }
    if (news === ProbeNews.BackUp) this.backUp(i, nowMs)
    if (answered) this.learnLatency(i, inflight + 1, latencyMs, nowMs)
  }

  /** A 5xx answer, or (gateway) a connect failure, reset or timeout: only the error model learns. */
  learnFailure(i: number, gateway: boolean, nowMs: number): void {
    this.features.recordFailure(i, gateway, nowMs)
  }

  /** Write endpoint i's cost breakdown (Part slots) for one more request on top of `inflight`. */
  evaluate(i: number, inflight: number, nowMs: number, out: Float64Array): void {
    const q = inflight + 1
    this.vector(i, q)
    const regression = this.regression.predict(i, this.x)
    const queue = this.capacity.queueMs(i, q)
    const stall = this.features.stallMs(i, nowMs, inflight)
    const drain = this.features.drainMs(i, nowMs, inflight)
    const expected = regression + queue > 0 ? regression + queue : 0
    const waiting = stall > drain ? stall : drain
    const latency = waiting > expected ? waiting : expected
    const decay = this.features.countDecay(i, nowMs)
    const p = this.features.errorProbability(i, nowMs, decay)
    const uncertainty = this.regression.predictiveVariance(i, this.x) - this.regression.residualVariance(i)
    const errorVariance = (p * (1 - p)) / (this.features.errorEvidence(i, nowMs, decay) + 1)
    const idleS = (nowMs - this.features.lastAnswerMs[i]) / 1_000
    const staleness = latency * latency * STALENESS * (idleS < MAX_IDLE_S ? idleS : MAX_IDLE_S)
    const load = this.loadWeight > 0 ? latency * this.loadWeight * this.features.reportedLoad(i, nowMs) : 0
    out[Part.Regression] = regression
    out[Part.Queue] = queue
    out[Part.Stall] = stall
    out[Part.Drain] = drain
    out[Part.Latency] = latency
    out[Part.ErrorProbability] = p
    out[Part.Cost] = latency + p * this.errorPenaltyMs + load
    out[Part.Load] = load
    out[Part.Variance] =
      (uncertainty > 0 ? uncertainty : 0) + staleness + this.errorPenaltyMs * this.errorPenaltyMs * errorVariance
  }

  /**
   * Endpoint i answers again after refusing or hanging: what the outage taught is about the outage (a stalled
   * try is learned as latency of its wait, up to the timeout, so the regression believed seconds where the
   * backend now answers in ms; in simulation a backend that hung for 10 s got nothing for 6 s after it
   * answered again). The regression takes its peers' weights (peersWeights) on the peak-EWMA the answering
   * probe just set, its covariance goes back to the prior's size, and the capacity curve is learned afresh:
   * the endpoint is judged like its peers from its next answers. A change like a drift, told as one, but not a Page-Hinkley
   * alarm: the refractory period does not hold it back. Stalls of tries sent before now are dropped when they
   * end (learnStall): in simulation the timeouts of requests sent while it hung kept arriving for the 2 s
   * timeout and taught the outage again.
   */
  private backUp(i: number, nowMs: number): void {
    this.regression.setWeights(i, this.peersWeights(i, nowMs))
    this.capacity.reset(i)
    this.drift.reset(i)
    this.backUpAtMs[i] = nowMs
    this.resetConfidence(i, nowMs)
  }

  /**
   * The mean regression weights of the endpoints other than i that have learned from DRIFT_MIN_SAMPLES answers
   * and mostly succeed (P(error) under PEER_MAX_ERROR): what an endpoint of this upstream is like. The prior's
   * "latency = peak-EWMA" is too high for a noisy backend, whose peak rides the upper edge of its answers:
   * an endpoint back from an outage on the prior cost 15–19 ms beside peers at 10–12 and won only 6–18 % of the
   * traffic for 8 s (simulation, four 10 ms backends, one hung for 10 s). The prior when there are none.
   */
  private peersWeights(i: number, nowMs: number): Float64Array {
    const mean = new Float64Array(FEATURES)
    let peers = 0
    for (let j = 0; j < this.size; j++) {
      if (j === i || this.regression.samples(j) < DRIFT_MIN_SAMPLES || this.features.errorProbability(j, nowMs) >= PEER_MAX_ERROR) continue
      const w = this.regression.coefficients(j)
      for (let k = 0; k < FEATURES; k++) mean[k] += w[k]
      peers++
    }
    if (peers === 0) return PRIOR_WEIGHTS
    for (let k = 0; k < FEATURES; k++) mean[k] /= peers
    return mean
  }

  /** Answers endpoint i's regression has learned from (since start, or as loaded). */
  samples(i: number): number {
    return this.regression.samples(i)
  }

  /** Answers learned from, all endpoints. Off the hot path. */
  totalSamples(): number {
    let total = 0
    for (let i = 0; i < this.size; i++) total += this.regression.samples(i)
    return total
  }

  /** Whether drift was detected at endpoint i since the last call; clears the flag. Off the hot path. */
  takeDrift(i: number): boolean {
    const drifted = this.drifted[i] === 1
    this.drifted[i] = 0
    return drifted
  }

  /**
   * Age every endpoint's regression by the time since the last call: P·e^(Δt/AGE_E_FOLD_MS), which in RLS
   * terms is as many data-free samples as make λ^(−steps) that factor. Nothing with λ = 1 (configured
   * never to forget).
   */
  age(nowMs: number): void {
    const elapsed = nowMs - this.agedAtMs
    this.agedAtMs = nowMs
    if (!(elapsed > 0) || this.forgettingRate === 0) return
    const steps = elapsed / AGE_E_FOLD_MS / this.forgettingRate
    for (let i = 0; i < this.size; i++) this.regression.forget(i, steps)
  }

  /** One refit pass (see REFITS_PER_PASS). */
  refit(): void {
    let tried = 0
    for (let visited = 0; visited < this.size && tried < REFITS_PER_PASS; visited++) {
      const i = this.refitCursor
      this.refitCursor = i + 1 === this.size ? 0 : i + 1
      if (!this.capacity.wantsRefit(i)) continue
      tried++
      this.capacity.refit(i)
    }
  }

  /** Refit endpoint i's capacity curve now (it keeps the previous one when there are too few samples). */
  refitCurve(i: number): void {
    this.capacity.refit(i)
  }

  /** Mean held-out MSE (ms²) of the current capacity curves as last fitted; null when none was fitted. */
  heldOutError(): number | null {
    return this.capacity.heldOutError()
  }

  /** Endpoint i's model as numbers: the D regression weights, then the capacity curve (ascending powers of q). */
  coefficients(i: number): number[] {
    return [...this.regression.coefficients(i), ...(this.capacity.coefficients(i) ?? [])]
  }

  /** Install coefficients from coefficients() (a rollback): weights and curve; P and σ̂² are kept. */
  restore(i: number, coefficients: readonly number[]): void {
    this.regression.setWeights(i, coefficients.slice(0, FEATURES))
    const curve = coefficients.slice(FEATURES)
    this.capacity.setCoefficients(i, curve.length === 0 ? null : curve)
  }

  /**
   * After a reload: endpoints that stayed (from[j] = their index in `previous`, −1 for new ones) keep their
   * regression (weights, covariance, residual variance), capacity curve and features; new ones keep the prior.
   */
  adopt(previous: AdaptiveModel, from: Int32Array): void {
    const mine = this.exportState()
    const theirs = previous.exportState()
    const pick = <T>(own: T[], old: T[]): T[] => own.map((entry, j) => (from[j] < 0 ? entry : old[from[j]]))
    this.importState(
      { features: mine.regression.features, endpoints: pick(mine.regression.endpoints, theirs.regression.endpoints) },
      pick(mine.capacity, theirs.capacity),
    )
    this.features.adopt(previous.features, from)
  }

  /** Regression state and capacity curves in index order, for persistence. */
  exportState(): { regression: RegressionState; capacity: (number[] | null)[] } {
    const capacity: (number[] | null)[] = []
    for (let i = 0; i < this.size; i++) capacity.push(this.capacity.coefficients(i))
    return { regression: this.regression.exportState(), capacity }
  }

  /** Load exportState()'s output (already checked for shape and finiteness); why not, or null when loaded. */
  importState(regression: RegressionState, capacity: readonly (number[] | null)[]): string | null {
    if (regression.features !== FEATURES) return `regression has ${regression.features} features, this model uses ${FEATURES}`
    const tooLong = capacity.findIndex((c) => c !== null && c.length > CURVE_COEFFICIENTS)
    if (tooLong !== -1) return `capacity[${tooLong}] has more than ${CURVE_COEFFICIENTS} coefficients`
    if (!this.regression.importState(regression)) return 'regression does not have one entry per endpoint'
    capacity.forEach((c, i) => this.capacity.setCoefficients(i, c))
    return null
  }

  /** The regression, drift detector and capacity curve learn one latency at in-flight q (features not updated). */
  private learnLatency(i: number, inflight: number, latencyMs: number, nowMs: number): void {
    const scale = Math.sqrt(this.regression.residualVariance(i))
    this.vector(i, inflight)
    const learned = this.regression.update(i, this.x, latencyMs - this.capacity.queueMs(i, inflight))
    if (learned && this.drift.add(i, this.regression.residual(i) / scale)) this.onAlarm(i, nowMs)
    this.capacity.record(i, inflight, latencyMs)
  }

  /** x = [q/Q, peak/L] into the scratch vector. */
  private vector(i: number, q: number): void {
    const x = this.x
    x[0] = q / INFLIGHT_SCALE
    x[1] = this.features.peak.estimateMs[i] / LATENCY_SCALE_MS
  }

  /** Page-Hinkley alarmed at endpoint i: drift, unless another endpoint alarmed within COMMON_MODE_MS. */
  private onAlarm(i: number, nowMs: number): void {
    const previous = this.lastAlarmEndpoint
    const previousMs = this.lastAlarmMs
    this.lastAlarmEndpoint = i
    this.lastAlarmMs = nowMs
    if (previous === -1 || previous === i || nowMs - previousMs >= COMMON_MODE_MS) {
      this.onDrift(i, nowMs)
      return
    }
    if (this.driftedAtMs[previous] === previousMs) this.drifted[previous] = 0
    // Dealt with like the first: it re-learns the shared change as fast, and its next alarm waits out the refractory.
    if (nowMs - this.driftedAtMs[i] >= DRIFT_REFRACTORY_MS) this.forgetLearned(i, nowMs)
  }

  /**
   * Drift: endpoint i's behaviour changed, so what its regression learned is stale. Covariance resetting
   * (Åström & Wittenmark, "Adaptive Control", §11.5): P back to the size of the prior (forget() up to the
   * trace bound), the weights kept as the starting point, so the next few answers re-learn it. Zeroing the
   * weights instead made an overloaded endpoint look free for a moment, and in simulation those resets
   * fed on themselves. With λ = 1 (never forget, by configuration) drift is only reported. Ignored within
   * DRIFT_REFRACTORY_MS of the last.
   */
  private onDrift(i: number, nowMs: number): void {
    if (nowMs - this.driftedAtMs[i] < DRIFT_REFRACTORY_MS) return
    this.resetConfidence(i, nowMs)
  }

  /** The regression covariance of endpoint i back to the size of the prior, and a drift told (onDrift, backUp). */
  private resetConfidence(i: number, nowMs: number): void {
    this.forgetLearned(i, nowMs)
    this.drifted[i] = 1
  }

  /** The regression covariance of endpoint i back to the size of the prior; the refractory starts now. */
  private forgetLearned(i: number, nowMs: number): void {
    this.driftedAtMs[i] = nowMs
    if (this.forgettingRate > 0) this.regression.forget(i, DRIFT_E_FOLDS / this.forgettingRate)
  }
}

/** coefficients() with names, for people: the regression weights of q/Q and peak-EWMA/L, then the curve. */
export function namedCoefficients(coefficients: readonly number[]): { loadWeight: number; peakEwmaWeight: number; capacityCurve: number[] } {
  return { loadWeight: coefficients[0], peakEwmaWeight: coefficients[1], capacityCurve: coefficients.slice(FEATURES) }
}
