import t from 'tap'
import { sampleNormal } from '../../../src/model/gaussian.js'
import { OnlineRegression, type OnlineRegressionOptions } from '../../../src/model/online-regression.js'
import { SeededRng } from '../../../src/util/rng.js'

/** Features [1, inflight]: an intercept and a slope. */
function features(inflight: number): Float64Array {
  return Float64Array.of(1, inflight)
}

/** Feed n samples of y = intercept + slope·inflight + N(0, 1), inflight uniform in 0..50. */
function train(model: OnlineRegression, i: number, rng: SeededRng, n: number, intercept: number, slope: number): void {
  const x = new Float64Array(2)
  x[0] = 1
  for (let k = 0; k < n; k++) {
    x[1] = Math.floor(rng.next() * 51)
    model.update(i, x, intercept + slope * x[1] + sampleNormal(rng))
  }
}

function trace(model: OnlineRegression, i: number): number {
  const { features: d, endpoints } = model.exportState()
  let sum = 0
  for (let j = 0; j < d; j++) sum += endpoints[i].covariance[j * d + j]
  return sum
}

t.test('one exact step of the RLS recursion', async (t) => {
  // D = 1, λ = 1, δ = 1, x = 1, y = 4: π = 1, denominator = 2, k = 0.5, ξ = 4, w = 2, P = 0.5,
  // γ = 0.5, E = σ₀² + γξ² = 100 + 8, weight 2, σ̂² = 54, predictive variance 54·(1 + 0.5) = 81.
  const model = new OnlineRegression({ endpoints: 1, features: 1, forgetting: 1, initialCovariance: 1, priorVariance: 100 })
  const x = Float64Array.of(1)
  t.equal(model.update(0, x, 4), true)
  t.equal(model.residual(0), 4, 'the a priori residual: y − 0')
  t.equal(model.predict(0, x), 2)
  t.equal(model.residualVariance(0), 54)
  t.equal(model.predictiveVariance(0, x), 81)
  t.equal(model.samples(0), 1)
})

t.test('learns y = 3 + 2·inflight + N(0, 1) within tolerance', async (t) => {
  const model = new OnlineRegression({ endpoints: 1, features: 2 })
  train(model, 0, new SeededRng(1), 2000, 3, 2)
  const [intercept, slope] = model.coefficients(0)
  // With λ = 0.995 the fit sees ≈ 200 effective samples: SE(slope) ≈ 1/(√200·σ_inflight≈14.7) ≈ 0.005.
  t.ok(Math.abs(intercept - 3) < 0.4, `intercept ${intercept}`)
  t.ok(Math.abs(slope - 2) < 0.03, `slope ${slope}`)
  t.ok(Math.abs(model.predict(0, features(10)) - 23) < 0.4, 'prediction at inflight 10')
  t.ok(Math.abs(model.residualVariance(0) - 1) < 0.3, `residual variance ${model.residualVariance(0)}`)
  t.equal(model.samples(0), 2000)
})

t.test('learns a five-feature law', async (t) => {
  const truth = [1, 2, -1, 0.5, 3]
  const model = new OnlineRegression({ endpoints: 1, features: 5 })
  const rng = new SeededRng(5)
  const x = new Float64Array(5)
  for (let k = 0; k < 3000; k++) {
    x[0] = 1
    for (let j = 1; j < 5; j++) x[j] = rng.next() * 10
    model.update(0, x, truth.reduce((s, w, j) => s + w * x[j], 0) + 0.5 * sampleNormal(rng))
  }
  const learned = model.coefficients(0)
  for (let j = 0; j < 5; j++) t.ok(Math.abs(learned[j] - truth[j]) < 0.15, `w${j} = ${learned[j]}, truth ${truth[j]}`)
})

t.test('endpoints are independent', async (t) => {
  const model = new OnlineRegression({ endpoints: 3, features: 2 })
  train(model, 1, new SeededRng(2), 500, 3, 2)
  t.same(model.coefficients(0), [0, 0])
  t.same(model.coefficients(2), [0, 0])
  t.equal(model.samples(0), 0)
  t.equal(model.samples(1), 500)
})

t.test('predictive variance shrinks with samples and grows back after forgetting without data', async (t) => {
  const model = new OnlineRegression({ endpoints: 1, features: 2, priorVariance: 100, initialCovariance: 100 })
  const rng = new SeededRng(3)
  const at = features(20)
  const variances = [model.predictiveVariance(0, at)]
  for (const n of [5, 50, 500]) {
    train(model, 0, rng, n, 3, 2)
    variances.push(model.predictiveVariance(0, at))
  }
  t.equal(variances[0], 100 * (1 + 100 * (1 + 400)), 'prior: σ₀²·(1 + δ·|x|²)')
  for (let k = 1; k < variances.length; k++) t.ok(variances[k] < variances[k - 1], `decreasing: ${variances.join(' > ')}`)
  // Noise variance is 1; the uncertainty of w adds a few percent once ≈ 200 effective samples are in.
  t.ok(variances[3] < 1.5, `trained variance ${variances[3]}`)

  // Idle for 1000 samples' worth of time: P grows by λ⁻¹⁰⁰⁰ ≈ 150, so xᵀPx goes from ≈ 0.006 to ≈ 0.9.
  const trained = variances[3]
  const weights = model.coefficients(0)
  model.forget(0, 1000)
  const forgotten = model.predictiveVariance(0, at)
  t.ok(forgotten > 1.5 * trained, `after forgetting 1000 samples: ${forgotten} > 1.5·${trained}`)
  model.forget(0, 1e6)
  t.ok(trace(model, 0) <= 200 * (1 + 1e-12), 'covariance growth is capped at the prior trace δ·D')
  // xᵀPx ≤ largest eigenvalue·|x|² ≤ trace(P)·|x|²
  t.ok(model.predictiveVariance(0, at) <= model.residualVariance(0) * (1 + 200 * 401), 'so variance stays bounded')
  t.same(model.coefficients(0), weights, 'forgetting keeps the weights')
})

t.test('forgetting tracks a change in the law', async (t) => {
  const model = new OnlineRegression({ endpoints: 1, features: 2, forgetting: 0.99 })
  const rng = new SeededRng(4)
  train(model, 0, rng, 1000, 3, 2)
  train(model, 0, rng, 1000, 10, 4)
  const [intercept, slope] = model.coefficients(0)
  t.ok(Math.abs(intercept - 10) < 0.7, `intercept ${intercept}`)
  t.ok(Math.abs(slope - 4) < 0.03, `slope ${slope}`)
})

t.test('trace cap prevents windup when a feature is never excited', async (t) => {
  // The second feature is always 0: with λ = 0.9, P in that direction would grow by 1/0.9 per sample.
  const model = new OnlineRegression({ endpoints: 1, features: 2, forgetting: 0.9, initialCovariance: 10 })
  const x = Float64Array.of(1, 0)
  const rng = new SeededRng(6)
  for (let k = 0; k < 10_000; k++) model.update(0, x, 7 + 0.1 * sampleNormal(rng))
  const covariance = model.exportState().endpoints[0].covariance
  t.ok(covariance.every(Number.isFinite), 'finite')
  t.ok(trace(model, 0) <= 20 * (1 + 1e-12), `trace ${trace(model, 0)} within δ·D = 20`)
  t.ok(Math.abs(model.predict(0, x) - 7) < 0.1, 'still predicts the excited direction')
})

t.test('non-finite samples are ignored', async (t) => {
  const model = new OnlineRegression({ endpoints: 1, features: 2 })
  const cases: [Float64Array, number][] = [
    [features(1), Number.NaN],
    [features(1), Number.POSITIVE_INFINITY],
    [features(Number.NaN), 5],
    [Float64Array.of(1), 5], // too short: the missing feature reads as undefined
  ]
  model.update(0, features(1), 3)
  const learned = model.coefficients(0)
  for (const [x, y] of cases) t.equal(model.update(0, x, y), false, `${x.join(',')} → ${y}`)
  t.equal(model.samples(0), 1)
  t.same(model.coefficients(0), learned)
  t.equal(model.residual(0), 3, 'still the residual of the last accepted sample')
  model.reset(0)
  t.equal(model.residual(0), 0, 'reset clears it')
})

t.test('setWeights warm-starts, coefficients is a copy, reset restores the prior', async (t) => {
  const model = new OnlineRegression({ endpoints: 2, features: 2, priorVariance: 4, initialCovariance: 10 })
  model.setWeights(1, [3, 2])
  t.equal(model.predict(1, features(10)), 23)
  const copy = model.coefficients(1)
  copy[0] = 99
  t.same(model.coefficients(1), [3, 2])
  t.throws(() => model.setWeights(1, [1]), RangeError)

  train(model, 1, new SeededRng(8), 100, 3, 2)
  model.reset(1)
  t.same(model.coefficients(1), [0, 0])
  t.equal(model.samples(1), 0)
  t.equal(model.predictiveVariance(1, features(1)), 4 * (1 + 10 * 2))
})

t.test('exportState / importState round-trip exactly', async (t) => {
  const options: OnlineRegressionOptions = { endpoints: 2, features: 2 }
  const source = new OnlineRegression(options)
  train(source, 0, new SeededRng(9), 300, 3, 2)
  train(source, 1, new SeededRng(10), 300, 8, 0.5)
  const state = JSON.parse(JSON.stringify(source.exportState()))
  const copy = new OnlineRegression(options)
  t.equal(copy.importState(state), true)
  for (const i of [0, 1]) {
    for (const inflight of [0, 7, 40]) {
      t.equal(copy.predict(i, features(inflight)), source.predict(i, features(inflight)), `predict ${i} @ ${inflight}`)
      const x = features(inflight)
      t.equal(copy.predictiveVariance(i, x), source.predictiveVariance(i, x), `variance ${i} @ ${inflight}`)
    }
    t.equal(copy.samples(i), 300)
  }

  const other = new OnlineRegression({ endpoints: 2, features: 3 })
  t.equal(other.importState(state), false, 'wrong feature count')
  t.same(other.coefficients(0), [0, 0, 0], 'left unchanged')
  t.equal(new OnlineRegression({ endpoints: 3, features: 2 }).importState(state), false, 'wrong endpoint count')
})

t.test('constructor rejects bad options', async (t) => {
  const cases: Partial<OnlineRegressionOptions>[] = [
    { endpoints: 0 },
    { endpoints: 1.5 },
    { features: 0 },
    { forgetting: 0 },
    { forgetting: 1.01 },
    { initialCovariance: -1 },
    { priorVariance: 0 },
    { maxTrace: Number.POSITIVE_INFINITY },
  ]
  for (const c of cases) {
    t.throws(() => new OnlineRegression({ endpoints: 1, features: 2, ...c }), RangeError, JSON.stringify(c))
  }
})
