import t from 'tap'
import { CapacityFit, type CapacityFitOptions } from '../../../src/model/capacity-fit.js'
import { sampleNormal } from '../../../src/model/gaussian.js'
import { SeededRng } from '../../../src/util/rng.js'

type Law = (inflight: number) => number

/** A flat-then-bending curve: 5 ms + 0.5 ms per request + 0.08 ms per request² (the knee). */
const knee: Law = (x) => 5 + 0.5 * x + 0.08 * x * x
const line: Law = (x) => 3 + 2 * x

/** n samples at inflight uniform in 0..40 with N(0, 1) ms noise. */
function feed(fit: CapacityFit, i: number, rng: SeededRng, n: number, law: Law): void {
  for (let k = 0; k < n; k++) {
    const inflight = Math.floor(rng.next() * 41)
    fit.record(i, inflight, Math.max(0, law(inflight) + sampleNormal(rng)))
  }
}

t.test('picks the degree of the law by held-out error', async (t) => {
  const cases: [string, Law, number, number[]][] = [
    ['quadratic knee', knee, 2, [5, 0.5, 0.08]],
    ['line', line, 1, [3, 2]],
  ]
  for (const [name, law, degree, truth] of cases) {
    const fit = new CapacityFit({ endpoints: 1 })
    feed(fit, 0, new SeededRng(21), 512, law)
    const result = fit.fit(0)
    if (result === null) throw new Error('expected a fit')
    t.equal(result.degree, degree, `${name}: degree`)
    t.equal(result.samples, 512, `${name}: samples`)
    // Noise variance is 1 ms², so the held-out MSE of the right model is about 1.
    t.ok(Math.abs(result.heldOutMse - 1) < 0.3, `${name}: held-out MSE ${result.heldOutMse}`)
    const tolerances = [0.4, 0.05, 0.002]
    truth.forEach((c, k) => {
      const learned = result.coefficients[k]
      t.ok(Math.abs(learned - c) < tolerances[k], `${name}: c${k} = ${learned}`)
    })
    for (const inflight of [0, 20, 40]) {
      const predicted = fit.predict(0, inflight)
      t.ok(Math.abs(predicted - law(inflight)) < 0.5, `${name}: predict(${inflight}) = ${predicted}`)
    }
  }
})

t.test('no fit with too few samples or too few distinct loads', async (t) => {
  const fit = new CapacityFit({ endpoints: 2, minSamples: 32 })
  t.ok(Number.isNaN(fit.predict(0, 5)), 'NaN before any fit')
  feed(fit, 0, new SeededRng(22), 31, line)
  t.equal(fit.fit(0), null, '31 samples')
  for (let k = 0; k < 100; k++) fit.record(1, 4, 10 + k / 100)
  t.equal(fit.fit(1), null, 'one inflight value cannot fit a slope')
  t.equal(fit.coefficients(1), null)
})

t.test('a failed fit keeps the previous curve', async (t) => {
  const fit = new CapacityFit({ endpoints: 1, capacity: 64, minSamples: 32 })
  feed(fit, 0, new SeededRng(23), 64, line)
  const first = fit.fit(0)
  for (let k = 0; k < 64; k++) fit.record(0, 7, 50)
  t.equal(fit.fit(0), null)
  t.same(fit.coefficients(0), first?.coefficients)
})

t.test('the ring keeps only the most recent samples', async (t) => {
  const fit = new CapacityFit({ endpoints: 1, capacity: 256, minSamples: 32 })
  const rng = new SeededRng(24)
  feed(fit, 0, rng, 256, knee)
  feed(fit, 0, rng, 256, line)
  t.equal(fit.samples(0), 256)
  t.equal(fit.fit(0)?.degree, 1, 'the knee samples were overwritten')
})

t.test('predict evaluates stored coefficients by Horner', async (t) => {
  const fit = new CapacityFit({ endpoints: 2 })
  fit.setCoefficients(1, [1, 2, 3])
  const cases: [number, number][] = [
    [0, 1],
    [2, 1 + 4 + 12],
    [0.5, 1 + 1 + 0.75],
  ]
  for (const [inflight, expected] of cases) t.equal(fit.predict(1, inflight), expected, `at ${inflight}`)
  t.same(fit.coefficients(1), [1, 2, 3])
  t.ok(Number.isNaN(fit.predict(0, 2)), 'endpoint 0 untouched')
  fit.setCoefficients(1, null)
  t.ok(Number.isNaN(fit.predict(1, 2)), 'cleared')
  t.throws(() => fit.setCoefficients(1, [1, 2, 3, 4, 5]), RangeError, 'above the largest candidate degree')
  t.throws(() => fit.setCoefficients(1, []), RangeError)
})

t.test('record ignores bad samples; reset forgets samples and curve', async (t) => {
  const fit = new CapacityFit({ endpoints: 1 })
  const bad: [number, number][] = [
    [Number.NaN, 1],
    [1, Number.POSITIVE_INFINITY],
    [-1, 1],
    [1, -1],
  ]
  for (const [inflight, latency] of bad) fit.record(0, inflight, latency)
  t.equal(fit.samples(0), 0)
  feed(fit, 0, new SeededRng(25), 100, line)
  fit.fit(0)
  fit.reset(0)
  t.equal(fit.samples(0), 0)
  t.equal(fit.coefficients(0), null)
})

t.test('constructor rejects bad options', async (t) => {
  const cases: Partial<CapacityFitOptions>[] = [
    { endpoints: 0 },
    { capacity: 16, minSamples: 32 },
    { degrees: [] },
    { degrees: [0, 1] },
    { holdoutEvery: 1 },
    { minSamples: 4, degrees: [1, 2, 3] }, // 3 training points cannot fit a cubic
  ]
  for (const c of cases) t.throws(() => new CapacityFit({ endpoints: 1, ...c }), RangeError, JSON.stringify(c))
})
