import type { Rng } from '../../src/util/rng.js'

/**
 * Spread of the service time: σ of ln(t). 0.3 puts p90 at 1.47× and p99 at 2.01× the median
 * (exp(0.3·1.2816), exp(0.3·2.3263)): a realistic right tail without outliers that swamp the scenario.
 */
export const SERVICE_TIME_SIGMA = 0.3
/** Standard normal 0.99 quantile, Φ⁻¹(0.99), to 4 places. */
const Z99 = 2.3263

/** A lognormal sample with the given median, ms: median · e^(σ·Z), Z standard normal by Box–Muller. */
export function lognormalMs(medianMs: number, rng: Rng): number {
  const u1 = 1 - rng.next() // (0, 1]: log(0) would be -Infinity
  const z = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * rng.next())
  return medianMs * Math.exp(SERVICE_TIME_SIGMA * z)
}

/** The 99th percentile of lognormalMs(medianMs): median · e^(σ·z₀.₉₉), what a backend's own service adds before any queue, ms. */
export function serviceTimeP99Ms(medianMs: number): number {
  return medianMs * Math.exp(SERVICE_TIME_SIGMA * Z99)
}
