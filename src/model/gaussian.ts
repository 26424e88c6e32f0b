import type { Rng } from '../util/rng.js'

const TWO_PI = 2 * Math.PI

/**
 * One standard normal draw N(0, 1), for Thompson sampling: draw = mean + sqrt(variance) · z.
 *
 * Box-Muller transform (Box & Muller 1958, "A Note on the Generation of Random Normal Deviates"):
 * z = sqrt(−2 ln u₁) · cos(2π u₂) for independent uniforms u₁, u₂. Two rng draws, no allocation.
 *
 * The second deviate of the pair (the sin branch) is deliberately not cached: a cache would be
 * hidden state shared by every caller and rng, and it would save only a log and a sqrt (tens of ns).
 * No rejection loop (unlike Marsaglia's polar method), so a degenerate rng cannot make it spin.
 */
export function sampleNormal(rng: Rng): number {
  // Rng gives [0, 1); 1 − u lies in (0, 1], so the log is finite (at most sqrt(−2 ln 2⁻³²) ≈ 6.66).
  const u1 = 1 - rng.next()
  const u2 = rng.next()
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(TWO_PI * u2)
}

/**
 * Φ(x), the standard normal CDF, via erf: Φ(x) = (1 + erf(x/√2)) / 2, with erf from Abramowitz & Stegun
 * 7.1.26 (absolute error ≤ 1.5·10⁻⁷). For the decision log's choice probabilities, not the hot path.
 */
export function normalCdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2
  const t = 1 / (1 + 0.3275911 * z)
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
  const erf = 1 - poly * Math.exp(-z * z)
  return x >= 0 ? (1 + erf) / 2 : (1 - erf) / 2
}
