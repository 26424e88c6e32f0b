/**
 * Holt's linear trend method (double exponential smoothing; C. C. Holt, 1957, reprinted in the International
 * Journal of Forecasting 20, 2004): a level and a trend, each smoothed exponentially, forecast = level + trend·h.
 *
 *   ℓ ← α·y + (1 − α)·(ℓ + b·Δt)          level
 *   b ← β·(ℓ − ℓ_prev)/Δt + (1 − β)·b      trend, units per ms
 *
 * with α = 1 − e^(−Δt/τ_level) and β = 1 − e^(−Δt/τ_trend): smoothing constants per elapsed time rather than
 * per sample, so a late timer (a busy event loop) weighs its sample by the time it covers, and for regular
 * samples these are the fixed α and β of the textbook method. Undamped: a ramping load is what the forecast
 * is for (a damped trend, Gardner & McKenzie 1985, would under-forecast a steady ramp by design); noise does
 * not become a trend because β's time constant is three times the level's. No allocation.
 */
export class HoltForecast {
  /** NaN before the first sample. */
  level = Number.NaN
  /** Units per ms. */
  trend = 0
  private lastMs = Number.NaN

  constructor(
    /** τ of the level, ms. */
    private readonly levelTauMs: number,
    /** τ of the trend, ms. */
    private readonly trendTauMs: number,
  ) {}

  /** A new observation at nowMs; the first sets the level (trend 0); one at the same time or earlier is ignored. */
  add(value: number, nowMs: number): void {
    if (!Number.isFinite(value)) return
    if (Number.isNaN(this.level)) {
      this.level = value
      this.lastMs = nowMs
      return
    }
    const dt = nowMs - this.lastMs
    if (!(dt > 0)) return
    const alpha = 1 - Math.exp(-dt / this.levelTauMs)
    const beta = 1 - Math.exp(-dt / this.trendTauMs)
    const previous = this.level
    this.level = alpha * value + (1 - alpha) * (previous + this.trend * dt)
    this.trend = (beta * (this.level - previous)) / dt + (1 - beta) * this.trend
    this.lastMs = nowMs
  }

  /** The value expected aheadMs after the last sample; NaN before any. */
  forecast(aheadMs: number): number {
    return this.level + this.trend * aheadMs
  }
}
