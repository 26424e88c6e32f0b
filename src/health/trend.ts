import { PolynomialRegression } from 'ml-regression'
import type { WindowSamples } from './sample-window.js'

/** A straight line through recent samples, read at "now". */
export interface Trend {
  /** The line's value at nowMs, in the metric's unit. */
  current: number
  /** Metric units per second. */
  slopePerSecond: number
  /** Coefficient of determination of the fit, 0..1; 0 when the samples are constant. */
  r2: number
  samples: number
}

/**
 * Least-squares line (ml-regression's PolynomialRegression, degree 1) through the samples, with time in
 * seconds relative to nowMs so the intercept is the value now and the normal equations stay well
 * conditioned. Null when there are fewer than minSamples or the times are all equal (singular system).
 *
 * Only degree 1: a quadratic would follow a saturation knee more closely, but extrapolating one 30 s past
 * a 30 s window of noisy p99s amplifies the noise in its curvature term, and choosing between the two by
 * held-out error on ~15 samples is itself noisy. A line is the conservative projection.
 */
export function fitTrend(samples: WindowSamples, nowMs: number, minSamples: number): Trend | null {
  const n = samples.times.length
  if (n < minSamples || samples.times[0] === samples.times[n - 1]) return null
  const x = samples.times.map((t) => (t - nowMs) / 1000)
  let line: PolynomialRegression
  try {
    line = new PolynomialRegression(x, samples.values, 1)
  } catch {
    return null // ml-matrix throws on a singular system
  }
  const [intercept, slope] = line.coefficients
  if (!Number.isFinite(intercept) || !Number.isFinite(slope)) return null
  const r2 = line.score(x, samples.values).r2 // r(prediction, y)²: R² for a least-squares line with intercept
  return { current: intercept, slopePerSecond: slope, r2: Number.isNaN(r2) ? 0 : r2, samples: n }
}

/**
 * ms from now until the trend reaches `limit`: 0 when it is already there, Infinity when it is not rising.
 * t = (limit − current) / slope, in seconds, × 1000.
 */
export function crossingInMs(trend: Trend, limit: number): number {
  if (trend.current >= limit) return 0
  if (!(trend.slopePerSecond > 0)) return Infinity
  return ((limit - trend.current) / trend.slopePerSecond) * 1000
}
