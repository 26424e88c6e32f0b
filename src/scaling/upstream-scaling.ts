import type { ScalingConfig } from '../config/types.js'
import type { EndpointStats } from '../metrics/endpoint-stats.js'
import { medianInPlace } from '../util/median.js'
import { HoltForecast } from './holt.js'
import { LittlesLawSampler } from './littles-law-sampler.js'
import { Stabilizer } from './stabilizer.js'

/** What the scaling signal reads of an upstream (Cluster satisfies it). */
export interface ScalingUpstreamView {
  readonly name: string
  readonly endpoints: readonly { readonly id: string; readonly stats: EndpointStats }[]
}

/** What GET /api/upstreams shows as `scaling`, and what a change sends to the hooks. */
export interface ScalingSnapshot {
  enabled: boolean
  /** The published count (after hysteresis); null until there is enough to go on (`reason` says what is missing). */
  recommendedEndpoints: number | null
  /** forecast × (1 + headroom) / capacity per endpoint, before rounding and hysteresis. */
  desiredEndpoints: number | null
  currentEndpoints: number
  /** Attempts per second over the last tick, and Holt's forecast `horizon` ahead. */
  rps: number | null
  forecastRps: number | null
  /** Holt's trend, requests per second per minute. */
  trendRpsPerMinute: number | null
  /** The median endpoint's requests per second at p99 ≤ targetP99. */
  capacityRpsPerEndpoint: number | null
  /** Endpoints with a curve and latencies to read it with. */
  endpointsMeasured: number
  targetP99Ms: number
  horizonMs: number
  headroomPercent: number
  /** Why there is no recommendation yet, or null. */
  reason: string | null
}

/** A published count changed: what the registry turns into an event and hook calls. */
export interface ScalingChange {
  upstream: string
  previous: number | null
  snapshot: ScalingSnapshot
}

/**
 * τ of the rate's level and trend, ms (HoltForecast). A 2-minute forecast multiplies the trend's noise by 120 s:
 * with 1 s samples of ±20 % noise, τ 10 s / 30 s forecast up to 45 % off a steady rate, 20 s / 60 s about 20 %
 * (test/unit/scaling/holt.test.ts), and a new ramp is still followed within a minute.
 */
const LEVEL_TAU_MS = 20_000
const TREND_TAU_MS = 60_000
/** The count is recomputed this often, ms; the rate and the Little's-law points are sampled on every tick. */
const RECOMMEND_INTERVAL_MS = 5_000
/**
 * Work budgets, so a tick stays around a millisecond however many endpoints there are (1,000 endpoints cost
 * 150 ms a tick without them): curves refitted per tick (0.2–0.35 ms each, as the adaptive model's
 * REFITS_PER_PASS), and p99/mean ratios re-read per recommendation (a histogram walk each), both round-robin.
 */
const REFITS_PER_TICK = 4
const RATIOS_PER_PASS = 16

/**
 * One upstream's scaling signal, kept across config reloads (ScalingRegistry, by name). On each cluster tick
 * (never per request): the attempts finished since the last tick give the request rate, smoothed by Holt's
 * linear trend and forecast `horizon` ahead; each endpoint's capacity at the target is read from its
 * latency-versus-in-flight curve (endpoint-capacity.ts), fitted by the adaptive model's CapacityCurves to the
 * points of a Little's-law sampler (littles-law-sampler.ts), for every policy alike.
 *
 * Not the adaptive model's own curves: those pair each answer's latency with the in-flight count at the answer,
 * which is not the load the request queued behind (a request that waited finishes when the queue has drained),
 * so they are flatter than the truth past the knee. Fed to this estimator on the simulated fleet
 * (test/unit/scaling/fleet-validation.test.ts) they overestimated capacity up to 20-fold and the recommendation
 * missed the true minimum by up to 5; the mean in-flight of Little's law (L = λW) is the load that sets the
 * latency, and stayed within one at every checkpoint. They rank endpoints near their operating point well, which
 * is their job.
 *
 * The curve gives the mean latency; the p99 is taken to scale with it, p99(q) = curve(q) × (p99 / mean now),
 * as for a latency whose log has a spread that does not depend on load. Then
 *
 *   desired = forecast × (1 + headroom) / median capacity,  recommended = max(minEndpoints, ⌈desired⌉)
 *
 * through the Stabilizer's hysteresis. The median endpoint stands for the ones to add: a scaled group is
 * copies of one template, and the median is not moved by one endpoint whose curve is off.
 */
export class UpstreamScaling {
  private config: ScalingConfig
  private readonly holt = new HoltForecast(LEVEL_TAU_MS, TREND_TAU_MS)
  private stabilizer: Stabilizer
  private readonly samplers = new Map<string, LittlesLawSampler>()
  private lastTickMs = Number.NaN
  /** When the count was last recomputed, ms; NaN before. */
  private recommendedAtMs = Number.NaN
  /** Attempts finished at every endpoint between the last two ticks. */
  private finished = 0
  private refitCursor = 0
  private ratioCursor = 0
  private snapshot: ScalingSnapshot

  constructor(
    readonly name: string,
    config: ScalingConfig,
    private readonly onChange: (change: ScalingChange) => void,
  ) {
    this.config = config
    this.stabilizer = new Stabilizer(config.scaleDownWindowMs, config.toleranceFraction)
    this.snapshot = this.empty(0, 'no sample yet')
  }

  /** A reload's config: new hysteresis settings start a new window, the forecast and samplers go on. */
  configure(config: ScalingConfig): void {
    if (config.scaleDownWindowMs !== this.config.scaleDownWindowMs || config.toleranceFraction !== this.config.toleranceFraction) {
      const published = this.stabilizer.published
      this.stabilizer = new Stabilizer(config.scaleDownWindowMs, config.toleranceFraction)
      this.stabilizer.published = published
    }
    this.config = config
  }

  describe(): ScalingSnapshot {
    return this.snapshot
  }

  /** The published count; null before the first. */
  recommended(): number | null {
    return this.stabilizer.published
  }

  tick(nowMs: number, view: ScalingUpstreamView): void {
    if (!this.config.enabled) {
      this.snapshot = { ...this.empty(view.endpoints.length, 'scaling.enabled is false'), enabled: false }
      return
    }
    const samplers = this.sampleEndpoints(view, nowMs)
    const elapsedMs = nowMs - this.lastTickMs
    this.lastTickMs = nowMs
    if (!(elapsedMs > 0)) {
      this.snapshot = this.empty(view.endpoints.length, 'no sample yet')
      return
    }
    this.refitSome(samplers)
    const rps = (this.finished * 1_000) / elapsedMs
    this.holt.add(rps, nowMs)
    const rates = { rps, forecastRps: Math.max(0, this.holt.forecast(this.config.horizonMs)), trendRpsPerMinute: this.holt.trend * 60_000 }
    if (nowMs - this.recommendedAtMs < RECOMMEND_INTERVAL_MS) {
      this.snapshot = { ...this.snapshot, ...rates, currentEndpoints: view.endpoints.length }
      return
    }
    this.recommendedAtMs = nowMs
    this.recommend(samplers, rates, nowMs)
  }

  /** The count from the forecast and the median capacity, through the stabilizer; a change is reported. */
  private recommend(samplers: readonly LittlesLawSampler[], rates: Pick<ScalingSnapshot, 'rps' | 'forecastRps' | 'trendRpsPerMinute'>, nowMs: number): void {
    const { capacity, measured } = this.fleetCapacity(samplers)
    const base = { ...this.empty(samplers.length, null), ...rates, endpointsMeasured: measured }
    if (measured === 0 || !(capacity > 0)) {
      const reason = measured === 0 ? 'no endpoint has a latency-versus-in-flight curve yet' : `no endpoint answers within p99 ${this.config.targetP99Ms} ms even one request at a time`
      this.snapshot = { ...base, reason }
      return
    }
    const desired = (rates.forecastRps! * (1 + this.config.headroomFraction)) / capacity
    const count = Math.max(this.config.minEndpoints, Math.ceil(desired - 1e-9))
    const previous = this.stabilizer.published
    const changed = this.stabilizer.update(desired, count, nowMs)
    this.snapshot = { ...base, desiredEndpoints: desired, capacityRpsPerEndpoint: capacity, recommendedEndpoints: this.stabilizer.published }
    if (changed) this.onChange({ upstream: this.name, previous, snapshot: this.snapshot })
  }

  /** Samples every endpoint's counters (this.finished: the attempts since the last tick); drops gone endpoints. In view order. */
  private sampleEndpoints(view: ScalingUpstreamView, nowMs: number): LittlesLawSampler[] {
    const samplers: LittlesLawSampler[] = []
    let finished = 0
    for (const e of view.endpoints) {
      let sampler = this.samplers.get(e.id)
      if (sampler === undefined) {
        sampler = new LittlesLawSampler()
        this.samplers.set(e.id, sampler)
      }
      finished += sampler.sample(e.stats, nowMs)
      samplers.push(sampler)
    }
    if (this.samplers.size > view.endpoints.length) {
      const ids = new Set(view.endpoints.map((e) => e.id))
      for (const id of this.samplers.keys()) if (!ids.has(id)) this.samplers.delete(id)
    }
    this.finished = finished
    return samplers
  }

  /** Up to REFITS_PER_TICK curves with enough new points, round-robin. */
  private refitSome(samplers: readonly LittlesLawSampler[]): void {
    const n = samplers.length
    let done = 0
    for (let visited = 0; visited < n && done < REFITS_PER_TICK; visited++) {
      const sampler = samplers[this.refitCursor++ % n]
      if (!sampler.wantsRefit()) continue
      sampler.refit()
      done++
    }
  }

  /** The median capacity at the target over the endpoints with a curve and a tail ratio (their own, else the median one's). */
  private fleetCapacity(samplers: readonly LittlesLawSampler[]): { capacity: number; measured: number } {
    const n = samplers.length
    for (let k = 0; k < Math.min(n, RATIOS_PER_PASS); k++) samplers[this.ratioCursor++ % n].readTailRatio()
    const known = new Float64Array(n)
    let k = 0
    for (const sampler of samplers) if (!Number.isNaN(sampler.tailRatio)) known[k++] = sampler.tailRatio
    if (k === 0) return { capacity: Number.NaN, measured: 0 }
    const fleetRatio = medianInPlace(known.subarray(0, k))
    const capacities = new Float64Array(n)
    let measured = 0
    for (const sampler of samplers) {
      const ratio = Number.isNaN(sampler.tailRatio) ? fleetRatio : sampler.tailRatio
      const rps = sampler.capacity(this.config.targetP99Ms / ratio)
      if (!Number.isNaN(rps)) capacities[measured++] = rps
    }
    return { capacity: medianInPlace(capacities.subarray(0, measured)), measured }
  }

  private empty(current: number, reason: string | null): ScalingSnapshot {
    const c = this.config
    return {
      enabled: true,
      recommendedEndpoints: this.stabilizer.published,
      desiredEndpoints: null,
      currentEndpoints: current,
      rps: null,
      forecastRps: null,
      trendRpsPerMinute: null,
      capacityRpsPerEndpoint: null,
      endpointsMeasured: 0,
      targetP99Ms: c.targetP99Ms,
      horizonMs: c.horizonMs,
      headroomPercent: c.headroomFraction * 100,
      reason,
    }
  }
}
