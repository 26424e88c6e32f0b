import { PeakEwma } from '../balancer/load/peak-ewma.js'
import { carrySlots } from '../util/carry-over.js'

/**
 * The adaptive policy's per-endpoint feature table: what it knows about each endpoint's recent behaviour,
 * in typed arrays indexed by Endpoint.index. Every record* method is O(1) and allocates nothing (hot path).
 *
 *  - peak-EWMA latency of successful responses (Finagle, Linkerd): jumps up to a higher sample, decays
 *    towards lower ones with w = e^(−Δt/τ); after a long silence the first sample replaces it (w ≈ 0), so
 *    a backend that recovered looks recovered at its first fast answer;
 *  - recent p99: a log-normal fit of the same samples, p99 = exp(μ + z₀.₉₉·σ) with μ, σ² the time-weighted
 *    mean and variance of ln(latency) (service times are close to log-normal: right-skewed, positive);
 *  - error rate: time-decayed counts of errors and attempts (a Beta posterior's evidence, forgotten with
 *    τ = ERROR_DECAY_MS), so an endpoint that got no traffic drifts back to the prior and is tried again;
 *  - the time of the last failure;
 *  - what waits: requests picked and not yet answered, since when, and the recent answer rate, from
 *    which the stall and drain times are read;
 *  - the load the backend reports of itself (upstream `loadReport`, e.g. ORCA's cpu_utilization), the latest
 *    value fading with τ = LOAD_DECAY_MS since it was reported.
 */

/** Standard normal 0.99 quantile (Φ⁻¹(0.99), to 4 places). */
const Z99 = 2.3263
/** τ of the peak-EWMA, ms: Linkerd's and Finagle's default decay. */
const PEAK_DECAY_MS = 10_000
/** τ of the log-normal p99 fit, ms: a few seconds of samples, so it follows a ramp. */
const P99_DECAY_MS = 5_000
/**
 * τ of the error and answer counts, ms. Short, so a backend that starts failing is avoided within a
 * fraction of a second at typical rates, and one that got no traffic since is tried again within a few
 * seconds (1 s gave a returned backend its share back about twice as fast as 2 s in simulation, for a
 * few more probe errors while it was down).
 */
const ERROR_DECAY_MS = 1_000
/**
 * Error-count weight of a connect failure, reset or timeout, against 1 for a 5xx answer: a failed
 * connection says the backend (or the path to it) is down for every request, a 500 may concern one
 * request only, so the former must move P(error) strongly and fast.
 */
const GATEWAY_FAILURE_WEIGHT = 8
/**
 * Beta prior of the error probability: PRIOR_ERRORS errors in PRIOR_ATTEMPTS attempts, a mean of 0.2%.
 * Its variance, priced at the error penalty, is exploration: with the weight of one attempt a fresh or
 * long-idle endpoint sampled costs ±70 ms off and a backend ten times slower than its peers was tried
 * twice as often as peak-EWMA tries it; ten pseudo-attempts (±13 ms) fixed that, and one 500 from a
 * fresh endpoint still lifts its estimate to 9%.
 */
const PRIOR_ERRORS = 0.02
const PRIOR_ATTEMPTS = 10
/**
 * τ of a reported load, ms: a report says how busy the backend was when it answered; one that is not renewed
 * (the endpoint gets no traffic, perhaps because of that report) should not keep it away for ever.
 */
const LOAD_DECAY_MS = 10_000
/**
 * Two probes in a row under this share of the estimate say the endpoint got faster (recovered): a change,
 * not noise. Without the margin, the jitter of an idle, healthy backend did it: a probe above the estimate
 * raises it, the next two below it "agreed", and the model declared drift and reset that endpoint every
 * 5 s (the demo, three 5 ms backends with 3 ms of jitter and no traffic: 7 drift events in 20 s).
 * Recoveries worth a reset are large (100 ms back to 10 ms); smaller speed-ups the peak-EWMA follows.
 */
const RECOVERED_FRACTION = 0.5
/** Latency assumed before the first sample, ms (Linkerd's default RTT). */
const DEFAULT_LATENCY_MS = 30
/** What a timed probe's answer says changed at the endpoint (recordProbe). */
export const enum ProbeNews {
  Nothing = 0,
  /** Two probes in a row found it faster than its estimate, which they replaced. */
  Faster = 1,
  /** It answered after gateway failures (refused, reset, hung): back up, its estimate replaced by this answer. */
  BackUp = 2,
}

/** Reported as seconds since the last failure when an endpoint never failed (JSON has no Infinity). */
export const NEVER_FAILED = -1

export class AdaptiveFeatures {
  readonly size: number
  /** Peak-EWMA of successful latency, ms (its first sample replaces the default). */
  readonly peak: PeakEwma
  /** Time-weighted mean and variance of ln(latency ms), and when they were last updated. */
  private readonly logMean: Float64Array
  private readonly logVariance: Float64Array
  private readonly logStampMs: Float64Array
  /** Decayed error and attempt counts (weighted), answers (unweighted), and when they were last decayed. */
  private readonly errors: Float64Array
  private readonly attempts: Float64Array
  private readonly answers: Float64Array
  /** The part of `errors` (and of `attempts`) that gateway failures added, decayed with them. */
  private readonly gatewayErrors: Float64Array
  private readonly countStampMs: Float64Array
  /** Monotonic ms of the last failure; −Infinity when none. */
  private readonly lastFailureMs: Float64Array
  /** Monotonic ms of the last answer or failure of any kind but a client abort. */
  readonly lastAnswerMs: Float64Array
  /** Requests picked and not yet answered (never below 0), and since when that count has been above 0. */
  private readonly pending: Int32Array
  private readonly pendingSinceMs: Float64Array
  /** The last load the endpoint reported (0 before any) and when, ms (−Infinity before any). */
  private readonly load: Float64Array
  private readonly loadStampMs: Float64Array
  /** Latency of the last timed probe, ms; −1 when none or it failed. An answer in between does not clear it: an
   * exploration request landing between two probes must not keep a recovered backend from being believed. */
  private readonly lastProbeMs: Float64Array

  constructor(size: number) {
    this.size = size
    this.peak = new PeakEwma(size, PEAK_DECAY_MS, DEFAULT_LATENCY_MS, -Infinity)
    this.logMean = new Float64Array(size).fill(Math.log(DEFAULT_LATENCY_MS))
    this.logVariance = new Float64Array(size)
    this.logStampMs = new Float64Array(size).fill(-Infinity)
    this.errors = new Float64Array(size)
    this.attempts = new Float64Array(size)
    this.answers = new Float64Array(size)
    this.gatewayErrors = new Float64Array(size)
    this.countStampMs = new Float64Array(size)
    this.lastFailureMs = new Float64Array(size).fill(-Infinity)
    this.lastAnswerMs = new Float64Array(size).fill(-Infinity)
    this.pending = new Int32Array(size)
    this.pendingSinceMs = new Float64Array(size)
    this.load = new Float64Array(size)
    this.loadStampMs = new Float64Array(size).fill(-Infinity)
    this.lastProbeMs = new Float64Array(size).fill(-1)
  }

  /**
   * After a reload: what was learned about endpoints that stayed carries over (util/carry-over.ts). What
   * waits does not: requests in flight at the reload answer to the previous policy.
   */
  adopt(previous: AdaptiveFeatures, from: Int32Array): void {
    this.peak.adopt(previous.peak, from)
    const arrays = ['logMean', 'logVariance', 'logStampMs', 'errors', 'attempts', 'answers', 'gatewayErrors', 'countStampMs', 'lastFailureMs', 'lastAnswerMs', 'load', 'loadStampMs'] as const
    for (const name of arrays) carrySlots(previous[name], this[name], from)
  }

  /** A request was sent to i. */
  recordPick(i: number, nowMs: number): void {
    if (this.pending[i] === 0) this.pendingSinceMs[i] = nowMs
    this.pending[i] += 1
  }

  /** A successful (non-5xx) answer after latencyMs. */
  recordSuccess(i: number, latencyMs: number, nowMs: number): void {
    this.answered(i, nowMs)
    this.count(i, 0, 1, 1, 0, nowMs)
    this.peak.update(i, latencyMs, nowMs)
    this.updateLogNormal(i, latencyMs, nowMs)
  }

  /** A 5xx answer (weight 1) or a connect failure, reset or timeout (gateway: GATEWAY_FAILURE_WEIGHT). */
  recordFailure(i: number, gateway: boolean, nowMs: number): void {
    const weight = gateway ? GATEWAY_FAILURE_WEIGHT : 1
    this.answered(i, nowMs)
    this.count(i, weight, weight, 1, gateway ? weight : 0, nowMs)
    this.lastFailureMs[i] = nowMs
  }

  /** The backend reported its load (a finite value ≥ 0, already parsed). O(1). */
  recordLoad(i: number, load: number, nowMs: number): void {
    this.load[i] = load
    this.loadStampMs[i] = nowMs
  }

  /** The last reported load × e^(−age/LOAD_DECAY_MS); 0 before any report. */
  reportedLoad(i: number, nowMs: number): number {
    const age = nowMs - this.loadStampMs[i]
    return age === Infinity ? 0 : this.load[i] * Math.exp(-(age > 0 ? age : 0) / LOAD_DECAY_MS)
  }

  /**
   * A try that waited waitMs and was cut (a timeout, a hedge's loser): a failure of the gateway kind, and
   * latency at least its wait, so the peak-EWMA jumps to it at once and the stalled endpoint loses share.
   */
  recordStall(i: number, waitMs: number, nowMs: number): void {
    this.recordFailure(i, true, nowMs)
    this.peak.update(i, waitMs, nowMs)
    this.updateLogNormal(i, waitMs, nowMs)
  }

  /**
   * A timed probe's answer (health/model-prober.ts): news of the endpoint like an answer (latency, errors,
   * the time last heard from) but not traffic: it was never picked, so nothing pending ends, and the answer
   * rate the drain time reads counts requests only. latencyMs < 0: the probe failed without an answer.
   * Says what changed (ProbeNews).
   */
  recordProbe(i: number, latencyMs: number, failed: boolean, gateway: boolean, nowMs: number): ProbeNews {
    this.lastAnswerMs[i] = nowMs
    const weight = failed ? (gateway ? GATEWAY_FAILURE_WEIGHT : 1) : 0
    const wasDown = !failed && this.forgetGatewayFailures(i, nowMs)
    this.count(i, weight, failed ? weight : 1, 0, failed && gateway ? weight : 0, nowMs)
    if (failed) this.lastFailureMs[i] = nowMs
    const previous = this.lastProbeMs[i]
    this.lastProbeMs[i] = latencyMs
    if (latencyMs < 0) return ProbeNews.Nothing
    // It was refusing or hanging and answers now: what the stalls taught (latency at least each wait, up to the
    // timeout) is over, and this answer is its latency now; a slower one raises it again, as any sample does.
    if (wasDown) {
      this.peak.replace(i, latencyMs, nowMs)
      this.updateLogNormal(i, latencyMs, nowMs)
      return ProbeNews.BackUp
    }
    // Probes come one per interval (1 s), so a peak-EWMA over them (τ = 10 s) would take 15 probes to follow
    // a backend from 100 ms back to 10 ms. Two probes in a row that both answered in under RECOVERED_FRACTION
    // of the estimate are the endpoint's latency now: the estimate becomes the slower of the two (one lucky
    // answer is not enough). A slower probe raises it at once, as any sample does.
    const agreed = previous > latencyMs ? previous : latencyMs
    const faster = previous >= 0 && agreed < RECOVERED_FRACTION * this.peak.estimateMs[i]
    if (faster) this.peak.replace(i, agreed, nowMs)
    else this.peak.update(i, latencyMs, nowMs)
    this.updateLogNormal(i, latencyMs, nowMs)
    return faster ? ProbeNews.Faster : ProbeNews.Nothing
  }

  /** The request is over without saying anything about the endpoint (a client abort). */
  recordAbandoned(i: number): void {
    if (this.pending[i] > 0) this.pending[i] -= 1
  }

  /** Posterior mean of P(error): (errors + PRIOR_ERRORS) / (attempts + PRIOR_ATTEMPTS), counts decayed to nowMs. */
  errorProbability(i: number, nowMs: number, decay = this.countDecay(i, nowMs)): number {
    return (this.errors[i] * decay + PRIOR_ERRORS) / (this.attempts[i] * decay + PRIOR_ATTEMPTS)
  }

  /** Evidence behind errorProbability: decayed attempts plus the prior's, so its variance is p(1−p)/(evidence + 1). */
  errorEvidence(i: number, nowMs: number, decay = this.countDecay(i, nowMs)): number {
    return this.attempts[i] * decay + PRIOR_ATTEMPTS
  }

  /** exp(μ + z₀.₉₉·σ) of the log-normal fit, ms. */
  p99Ms(i: number): number {
    return Math.exp(this.logMean[i] + Z99 * Math.sqrt(this.logVariance[i]))
  }

  /** Seconds since the last failure, NEVER_FAILED when there was none. */
  secondsSinceFailure(i: number, nowMs: number): number {
    const last = this.lastFailureMs[i]
    return last === -Infinity ? NEVER_FAILED : (nowMs - last) / 1_000
  }

  /**
   * How long i has had requests waiting for an answer and given none, ms: a lower bound on the latency
   * of what is waiting there, and what shows a backend that accepts requests and never answers long before
   * its first timeout arrives. Streams whose headers came are not waiting (observe ended their wait).
   */
  stallMs(i: number, nowMs: number, inflight: number): number {
    if (this.pending[i] === 0 || inflight === 0) return 0
    const since = this.pendingSinceMs[i] > this.lastAnswerMs[i] ? this.pendingSinceMs[i] : this.lastAnswerMs[i]
    return nowMs - since
  }

  /**
   * How long the requests waiting at i take to drain at its recent answer rate, ms: (waiting − 1) / rate
   * (Little's law, L = λW, read as W = L/λ). It needs no model, so it holds while the learned curve is
   * still wrong: an endpoint driven past its capacity answers no faster however many requests wait, and
   * this grows with every one sent (what makes peak-EWMA's cost × (in-flight + 1) robust, without its
   * assumption of one request at a time). The first waiting request is not counted, so a rarely used
   * endpoint with one probe out (a rate near 0) does not look slow for it; the rate counts one
   * pseudo-answer per τ, so an endpoint that never answered is slow but not infinitely so.
   */
  drainMs(i: number, nowMs: number, inflight: number): number {
    const waiting = this.pending[i] < inflight ? this.pending[i] : inflight
    if (waiting <= 1) return 0
    return ((waiting - 1) * ERROR_DECAY_MS) / (this.answers[i] * this.countDecay(i, nowMs) + 1)
  }

  /** Off the hot path: an endpoint with nothing in flight has nothing pending (repairs a pick never sent). */
  settle(i: number, inflight: number): void {
    if (inflight === 0) this.pending[i] = 0
  }

  private answered(i: number, nowMs: number): void {
    if (this.pending[i] > 0) this.pending[i] -= 1
    this.lastAnswerMs[i] = nowMs
  }

  /**
   * Decays the counts to nowMs and adds to them; `answers` is 1 for a request's answer, 0 for a probe's (not
   * traffic); `gateway` is the part of `errors` that gateway failures add.
   */
  private count(i: number, errors: number, attempts: number, answers: number, gateway: number, nowMs: number): void {
    const decay = this.countDecay(i, nowMs)
    this.errors[i] = this.errors[i] * decay + errors
    this.attempts[i] = this.attempts[i] * decay + attempts
    this.answers[i] = this.answers[i] * decay + answers
    this.gatewayErrors[i] = this.gatewayErrors[i] * decay + gateway
    this.countStampMs[i] = nowMs
  }

  /**
   * A timed probe was answered: the connection works now, so what gateway failures said (down for every
   * request, GATEWAY_FAILURE_WEIGHT each) is over, and their evidence goes; a 5xx's stays. Probes reach only
   * an endpoint that got no traffic for an interval, one the errors themselves kept out: left to decay
   * (τ = ERROR_DECAY_MS), one failed connection kept P(error) × errorPenalty above twice its peers' cost for
   * about 4 s after the backend listened again (scenario bench, kill-and-return and rolling-restart at
   * defaults: nothing sent to b0 for 4 s after its return). Answers to requests do not do this: a backend
   * that resets or times out one request in three answers the others, and must keep paying for the third.
   */
  private forgetGatewayFailures(i: number, nowMs: number): boolean {
    this.count(i, 0, 0, 0, 0, nowMs) // every count decayed to now
    const gateway = this.gatewayErrors[i]
    if (gateway <= PRIOR_ERRORS) return false // next to nothing left: it was not down, or long ago
    this.errors[i] = Math.max(0, this.errors[i] - gateway)
    this.attempts[i] = Math.max(0, this.attempts[i] - gateway)
    this.gatewayErrors[i] = 0
    return true
  }

  /** e^(−Δt/τ) of the error and answer counts since their last update: evaluate() reads it once for both uses. */
  countDecay(i: number, nowMs: number): number {
    const elapsed = nowMs - this.countStampMs[i]
    return elapsed <= 0 ? 1 : Math.exp(-elapsed / ERROR_DECAY_MS)
  }

  /**
   * Exponentially weighted mean and variance of ln(latency), weight w = e^(−Δt/τ) on the past:
   *   d = x − μ;  μ ← μ + (1 − w)·d;  σ² ← w·(σ² + (1 − w)·d²)
   * (T. Finch, "Incremental calculation of weighted mean and variance", 2009, §9). The first sample
   * (w = e^−∞ = 0) sets μ to it and σ² to 0.
   */
  private updateLogNormal(i: number, latencyMs: number, nowMs: number): void {
    const x = Math.log(latencyMs > 0.001 ? latencyMs : 0.001) // a 0 ms answer would give −∞
    const w = Math.exp(-(nowMs - this.logStampMs[i]) / P99_DECAY_MS)
    const d = x - this.logMean[i]
    this.logMean[i] += (1 - w) * d
    this.logVariance[i] = w * (this.logVariance[i] + (1 - w) * d * d)
    this.logStampMs[i] = nowMs
  }
}
