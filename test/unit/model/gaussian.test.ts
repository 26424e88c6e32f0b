import t from 'tap'
import { sampleNormal } from '../../../src/model/gaussian.js'
import { SeededRng, type Rng } from '../../../src/util/rng.js'

/** An rng that replays a fixed list of uniforms. */
function replay(values: number[]): Rng {
  let k = 0
  return { next: () => values[k++ % values.length] }
}

t.test('Box-Muller on known uniforms gives the exact deviate', async (t) => {
  // z = sqrt(−2 ln(1 − r₁)) · cos(2π r₂)
  const cases: [number, number, number][] = [
    [0.5, 0, Math.sqrt(2 * Math.LN2)],
    [0.5, 0.5, -Math.sqrt(2 * Math.LN2)],
    [0, 0.3, 0], // 1 − r₁ = 1: ln 1 = 0
    [1 - 2 ** -32, 0, Math.sqrt(64 * Math.LN2)], // the largest magnitude an [0, 1) rng can produce
  ]
  for (const [r1, r2, expected] of cases) t.ok(Math.abs(sampleNormal(replay([r1, r2])) - expected) < 1e-12, `${r1}, ${r2}`)
})

t.test('a constant rng neither hangs nor yields non-finite values', async (t) => {
  t.equal(sampleNormal({ next: () => 0 }), 0)
  t.ok(Number.isFinite(sampleNormal({ next: () => 0.999999 })))
})

t.test('200k draws have the moments and quantiles of N(0, 1)', async (t) => {
  const rng = new SeededRng(42)
  const n = 200_000
  let sum = 0
  let sumSquares = 0
  let below196 = 0
  let withinOne = 0
  for (let k = 0; k < n; k++) {
    const z = sampleNormal(rng)
    sum += z
    sumSquares += z * z
    if (z < 1.96) below196++
    if (Math.abs(z) < 1) withinOne++
  }
  const mean = sum / n
  const variance = sumSquares / n - mean * mean
  // Tolerances are about 4.5 standard errors: SE(mean) = 1/√n ≈ 0.0022, SE(var) = √(2/n) ≈ 0.0032,
  // SE(proportion p) = √(p(1 − p)/n): 0.00035 at p = 0.975, 0.00104 at p = 0.6827.
  t.ok(Math.abs(mean) < 0.01, `mean ${mean}`)
  t.ok(Math.abs(variance - 1) < 0.015, `variance ${variance}`)
  t.ok(Math.abs(below196 / n - 0.975) < 0.0016, `P(z < 1.96) ${below196 / n}`)
  t.ok(Math.abs(withinOne / n - 0.6827) < 0.0047, `P(|z| < 1) ${withinOne / n}`)
})

t.test('the same seed gives the same sequence', async (t) => {
  const a = new SeededRng(7)
  const b = new SeededRng(7)
  const draw = (rng: Rng) => Array.from({ length: 100 }, () => sampleNormal(rng))
  t.same(draw(a), draw(b))
})
