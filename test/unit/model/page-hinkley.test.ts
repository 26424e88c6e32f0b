import t from 'tap'
import { sampleNormal } from '../../../src/model/gaussian.js'
import { PageHinkley, type PageHinkleyOptions } from '../../../src/model/page-hinkley.js'
import { SeededRng } from '../../../src/util/rng.js'

// δ = 0.5 and λ = 50 on unit-variance residuals: a shift of 3 is flagged after about λ/(3 − δ) = 20
// samples, while a false alarm needs the reflected walk (drift −δ, variance 1) to climb 50, which has
// probability about exp(−2δλ) = e⁻⁵⁰ per excursion.
const base: PageHinkleyOptions = { endpoints: 1, tolerance: 0.5, threshold: 50 }

/** Index (from 0) of the first alarm among n draws of N(mean, 1) on endpoint i, or -1. */
function firstAlarm(detector: PageHinkley, i: number, rng: SeededRng, n: number, mean: number): number {
  for (let k = 0; k < n; k++) if (detector.add(i, mean + sampleNormal(rng))) return k
  return -1
}

function alarms(detector: PageHinkley, i: number, rng: SeededRng, n: number, mean: number): number {
  let count = 0
  for (let k = 0; k < n; k++) if (detector.add(i, mean + sampleNormal(rng))) count++
  return count
}

t.test('exact alarm on a known sequence, not before minSamples', async (t) => {
  // tolerance 0, threshold 10: four zeros, then 100 → mean 20, deviation 80, m = 80 > 10 + min 0.
  const cases: [number, boolean][] = [
    [5, true],
    [6, false],
  ]
  for (const [minSamples, expected] of cases) {
    const detector = new PageHinkley({ endpoints: 1, tolerance: 0, threshold: 10, minSamples })
    const results = [0, 0, 0, 0, 100].map((v) => detector.add(0, v))
    t.same(results, [false, false, false, false, expected], `minSamples ${minSamples}`)
  }
})

t.test('detects a step increase within 40 samples', async (t) => {
  const detector = new PageHinkley(base)
  const rng = new SeededRng(11)
  t.equal(firstAlarm(detector, 0, rng, 1000, 0), -1, 'quiet before the change')
  const delay = firstAlarm(detector, 0, rng, 1000, 3)
  t.ok(delay >= 0 && delay < 40, `detected after ${delay + 1} samples`)
  t.equal(alarms(detector, 0, rng, 10_000, 3), 0, 'after the alarm it re-baselines on the new mean')
})

t.test('no false alarm on 100k stationary samples', async (t) => {
  const detector = new PageHinkley({ ...base, detectDecrease: true })
  t.equal(alarms(detector, 0, new SeededRng(12), 100_000, 5), 0)
})

t.test('decreases are detected only when asked', async (t) => {
  const cases: [boolean, boolean][] = [
    [false, false],
    [true, true],
  ]
  for (const [detectDecrease, expected] of cases) {
    const detector = new PageHinkley({ ...base, detectDecrease })
    const rng = new SeededRng(13)
    firstAlarm(detector, 0, rng, 1000, 3)
    const delay = firstAlarm(detector, 0, rng, 2000, 0)
    t.equal(delay >= 0 && delay < 40, expected, `detectDecrease ${detectDecrease}: alarm at ${delay}`)
  }
})

t.test('endpoints are independent; reset starts afresh', async (t) => {
  const detector = new PageHinkley({ ...base, endpoints: 2 })
  const rng = new SeededRng(14)
  firstAlarm(detector, 0, rng, 500, 0)
  firstAlarm(detector, 1, rng, 500, 0)
  t.ok(firstAlarm(detector, 0, rng, 1000, 3) >= 0, 'endpoint 0 drifts')
  t.equal(firstAlarm(detector, 1, rng, 1000, 0), -1, 'endpoint 1 stays quiet')

  firstAlarm(detector, 1, rng, 500, 0)
  detector.reset(1)
  t.equal(firstAlarm(detector, 1, rng, 1000, 3), -1, 'after reset, the new level is the baseline')
})

t.test('non-finite values are ignored', async (t) => {
  const detector = new PageHinkley({ endpoints: 1, tolerance: 0, threshold: 10, minSamples: 5 })
  const results = [0, Number.NaN, 0, Number.POSITIVE_INFINITY, 0, 0, 100].map((v) => detector.add(0, v))
  t.same(results, [false, false, false, false, false, false, true])
})

t.test('constructor rejects bad options', async (t) => {
  const cases: Partial<PageHinkleyOptions>[] = [{ endpoints: 0 }, { tolerance: -1 }, { threshold: 0 }, { minSamples: 0 }]
  for (const c of cases) t.throws(() => new PageHinkley({ ...base, ...c }), RangeError, JSON.stringify(c))
})
