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
