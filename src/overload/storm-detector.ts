import type { StormConfig } from '../config/types.js'

/**
 * Whether an upstream is in a storm (a traffic surge or an error burst) now. The seam between who detects and
 * who damps: StormDetector implements it per upstream; an instance-wide anomaly monitor can stand in for it.
 */
export interface StormSignal {
  storming(upstream: string): boolean
  /** The figures behind the current state, for the storm-start event; optional. */
  describe?(upstream: string): Readonly<Record<string, number | string>>
}

/** Consecutive anomalous samples (ticks, ~1 s) before a storm starts: one busy second is not a storm. */
const ENTER_SAMPLES = 2
/** While a sample is anomalous the baseline learns this much slower, so a storm does not become the normal
 * quickly, while a lasting shift (real growth) is absorbed after about 10 × the baseline's time constant. */
const ANOMALOUS_LEARNING = 0.1
/** The band's scale never falls below this fraction of the mean (a steady signal has a deviation near 0). */
const MIN_RELATIVE_DEVIATION = 0.1

/**
 * One rate's baseline: an exponentially weighted mean and mean absolute deviation (a robust scale: one outlier
 * moves it linearly, not quadratically as a variance), with time constant τ: weight 1 − e^(−Δt/τ) per sample.
 */
class EwmaBand {
  mean = 0
  deviation = 0
  private started = false

  update(value: number, weight: number): void {
    if (!this.started) {
      this.mean = value
      this.started = true
      return
    }
    this.deviation += weight * (Math.abs(value - this.mean) - this.deviation)
    this.mean += weight * (value - this.mean)
  }

  /** mean + k × scale, the scale at least MIN_RELATIVE_DEVIATION × mean and 1 per second. */
  upper(k: number): number {
    return this.mean + k * Math.max(this.deviation, MIN_RELATIVE_DEVIATION * this.mean, 1)
  }

  copy(from: EwmaBand): void {
    this.mean = from.mean
    this.deviation = from.deviation
    this.started = from.started
  }
}

/**
 * Storm detection for one upstream from its attempts and failed attempts per second, sampled on the cluster's
 * tick: each rate has an EWMA baseline with a band (mean + band × mean absolute deviation). A sample is
 * anomalous when a rate is above its band and above its absolute floor (minRate, minErrorRate: a quiet
 * upstream never storms), failures also only when at least minErrorFraction of the attempts fail (one dead
 * endpoint of several is outlier detection's business, and retries are what hide it); ENTER_SAMPLES anomalous samples in a row start a storm. It ends, with hysteresis,
 * after `calmMs` without a sample above half the band (and half the floors). Nothing is detected during the
 * warm-up: without history there is no baseline to be anomalous against.
 */
export class StormDetector implements StormSignal {
  private readonly rate = new EwmaBand()
  private readonly errors = new EwmaBand()
  private firstMs = Number.NaN
  private lastMs = Number.NaN
  private lastAttempts = 0
  private lastFailures = 0
  private anomalousRun = 0
  private lastLoudMs = 0
  private active = false
  /** The last sample's rates, per second (for the event and the admin API). */
  observedRate = 0
  observedErrors = 0

  constructor(private readonly config: StormConfig) {}

  storming(): boolean {
    return this.active
  }

  describe(): Record<string, number | string> {
    const k = this.config.band
    const errorsLoud = this.errorsAbove(this.observedRate, this.observedErrors, 1)
    const band = errorsLoud ? this.errors : this.rate
    return {
      signal: errorsLoud ? 'errors' : 'rate',
      observed: round(errorsLoud ? this.observedErrors : this.observedRate),
      expectedLow: round(Math.max(0, band.mean - k * band.deviation)),
      expectedHigh: round(band.upper(k)),
    }
  }

  /** `attempts` and `failures`: the upstream's counters since start (monotonic), at `nowMs`. */
  sample(attempts: number, failures: number, nowMs: number): void {
    if (Number.isNaN(this.lastMs)) {
      this.firstMs = this.lastMs = nowMs
      this.lastAttempts = attempts
      this.lastFailures = failures
      return
    }
    const dtMs = nowMs - this.lastMs
    if (dtMs <= 0) return
    const rate = ((attempts - this.lastAttempts) * 1000) / dtMs
    const errors = ((failures - this.lastFailures) * 1000) / dtMs
    this.lastMs = nowMs
    this.lastAttempts = attempts
    this.lastFailures = failures
    this.observedRate = rate
    this.observedErrors = errors
    const warm = nowMs - this.firstMs >= this.config.warmupMs
    const anomalous = warm && this.above(rate, errors, 1)
    this.judge(anomalous, warm && this.above(rate, errors, 0.5), nowMs)
    const weight = (1 - Math.exp(-dtMs / this.config.baselineMs)) * (anomalous || this.active ? ANOMALOUS_LEARNING : 1)
    this.rate.update(rate, weight)
    this.errors.update(errors, weight)
  }

  /**
   * Takes over a replaced cluster's baselines and state (a reload of the upstream keeps its history); the new
   * cluster counts from 0, so its next sample is measured from 0.
   */
  adopt(previous: StormDetector): void {
    this.rate.copy(previous.rate)
    this.errors.copy(previous.errors)
    this.firstMs = previous.firstMs
    this.lastMs = previous.lastMs
    this.lastAttempts = 0
    this.lastFailures = 0
    this.anomalousRun = previous.anomalousRun
    this.lastLoudMs = previous.lastLoudMs
    this.active = previous.active
  }

  private judge(anomalous: boolean, loud: boolean, nowMs: number): void {
    this.anomalousRun = anomalous ? this.anomalousRun + 1 : 0
    if (loud) this.lastLoudMs = nowMs
    if (!this.active && this.anomalousRun >= ENTER_SAMPLES) this.active = true
    else if (this.active && nowMs - this.lastLoudMs >= this.config.calmMs) this.active = false
  }

  /** A rate above `scale` × its band and floor. */
  private above(rate: number, errors: number, scale: number): boolean {
    const c = this.config
    return (rate >= c.minRatePerSecond * scale && rate > this.rate.upper(c.band * scale)) || this.errorsAbove(rate, errors, scale)
  }

  /** Failures above `scale` × their band and floor, and at least `scale` × minErrorFraction of the attempts. */
  private errorsAbove(rate: number, errors: number, scale: number): boolean {
    const c = this.config
    return errors >= c.minErrorsPerSecond * scale && errors >= c.minErrorFraction * scale * rate && errors > this.errors.upper(c.band * scale)
  }
}

function round(x: number): number {
  return Math.round(x * 100) / 100
}
