import t from 'tap'
import { HoltForecast } from '../../../src/scaling/holt.js'
import { SeededRng } from '../../../src/util/rng.js'

const LEVEL_TAU_MS = 20_000
const TREND_TAU_MS = 60_000
const HORIZON_MS = 120_000

t.test('a linear ramp is forecast on its line once the trend has settled', async (t) => {
  const holt = new HoltForecast(LEVEL_TAU_MS, TREND_TAU_MS)
  const rate = (ms: number) => 50 + 0.5 * (ms / 1_000) // +0.5 rps per second
  for (let ms = 0; ms <= 300_000; ms += 1_000) holt.add(rate(ms), ms)
  const forecast = holt.forecast(HORIZON_MS)
  const truth = rate(300_000 + HORIZON_MS)
  t.ok(Math.abs(forecast / truth - 1) < 0.02, `forecast ${forecast.toFixed(1)} within 2% of ${truth}`)
  t.ok(Math.abs(holt.trend * 1_000 - 0.5) < 0.01, `trend ${(holt.trend * 1_000).toFixed(4)} rps/s`)
})

t.test('a ramp that just started is forecast above the level, and a ramp down below it', async (t) => {
  for (const slope of [1, -1]) {
    const holt = new HoltForecast(LEVEL_TAU_MS, TREND_TAU_MS)
    for (let ms = 0; ms <= 60_000; ms += 1_000) holt.add(200, ms)
    for (let ms = 61_000; ms <= 120_000; ms += 1_000) holt.add(200 + slope * ((ms - 60_000) / 1_000), ms)
    const now = 200 + slope * 60
    const forecast = holt.forecast(HORIZON_MS)
    t.ok(slope > 0 ? forecast > now : forecast < now, `slope ${slope}: forecast ${forecast.toFixed(1)} vs now ${now}`)
  }
})

t.test('noise around a steady rate is not forecast as a trend', async (t) => {
  const rng = new SeededRng(7)
  const holt = new HoltForecast(LEVEL_TAU_MS, TREND_TAU_MS)
  let worst = 0
  for (let ms = 0; ms <= 600_000; ms += 1_000) {
    holt.add(100 + (rng.next() - 0.5) * 40, ms) // ±20 %
    if (ms >= 120_000) worst = Math.max(worst, Math.abs(holt.forecast(HORIZON_MS) / 100 - 1))
  }
  t.ok(worst < 0.25, `worst forecast error 2 min ahead after the first 2 min: ${(worst * 100).toFixed(1)}%`)
  t.ok(Math.abs(holt.forecast(HORIZON_MS) / 100 - 1) < 0.25, `last forecast ${holt.forecast(HORIZON_MS).toFixed(1)}`)
})

t.test('irregular sample times weigh each sample by the time it covers', async (t) => {
  const regular = new HoltForecast(LEVEL_TAU_MS, TREND_TAU_MS)
  const irregular = new HoltForecast(LEVEL_TAU_MS, TREND_TAU_MS)
  for (let ms = 0; ms <= 200_000; ms += 1_000) regular.add(ms / 1_000, ms)
  for (let ms = 0; ms <= 200_000; ms += ms % 3_000 === 0 ? 2_000 : 1_000) irregular.add(ms / 1_000, ms)
  t.ok(Math.abs(regular.forecast(HORIZON_MS) - irregular.forecast(HORIZON_MS)) < 2, 'both follow the same line')
})

t.test('nothing before the first sample; non-finite samples and repeated times are ignored', async (t) => {
  const holt = new HoltForecast(LEVEL_TAU_MS, TREND_TAU_MS)
  t.ok(Number.isNaN(holt.forecast(HORIZON_MS)))
  holt.add(Number.NaN, 0)
  t.ok(Number.isNaN(holt.forecast(HORIZON_MS)))
  holt.add(10, 0)
  holt.add(1_000, 0)
  t.equal(holt.forecast(HORIZON_MS), 10)
})
