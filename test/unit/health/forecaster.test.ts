import t from 'tap'
import type { ForecastConfig } from '../../../src/config/types.js'
import { type Forecast, type ForecastDecision, Forecaster } from '../../../src/health/forecaster.js'
import { SampleWindows } from '../../../src/health/sample-window.js'
import { crossingInMs, fitTrend } from '../../../src/health/trend.js'
import { SeededRng } from '../../../src/util/rng.js'
import { forecastConfig } from './fixtures.js'

interface Decision {
  atMs: number
  i: number
  decision: ForecastDecision
  forecast: Forecast | null
  cause: string
}

function setup(n: number, overrides: Partial<ForecastConfig>) {
  const decisions: Decision[] = []
  let nowMs = 0
  const f = new Forecaster(n, forecastConfig({ intervalMs: 1_000, windowMs: 30_000, minR2: 0.8, ...overrides }), {
    onForecast: (i, decision, forecast, cause) => decisions.push({ atMs: nowMs, i, decision, forecast, cause }),
  })
  /** Records one sample per endpoint (from `value(i, ms)`) and evaluates, every second up to endMs. */
  const run = (fromMs: number, endMs: number, p99: (i: number, ms: number) => number, errorRate: (i: number, ms: number) => number = () => 0) => {
    for (nowMs = fromMs; nowMs <= endMs; nowMs += 1_000) {
      for (let i = 0; i < n; i++) f.record(i, nowMs, p99(i, nowMs), errorRate(i, nowMs))
      f.evaluate(nowMs)
    }
  }
  return { f, decisions, run }
}

t.test('trend: an exact line has R² 1, its value now and its slope per second; crossing = (limit − now) / slope', async (t) => {
  const samples = { times: [0, 1_000, 2_000, 3_000, 4_000], values: [10, 12, 14, 16, 18] }
  const trend = fitTrend(samples, 4_000, 5)!
  t.ok(Math.abs(trend.current - 18) < 1e-9)
  t.ok(Math.abs(trend.slopePerSecond - 2) < 1e-9)
  t.ok(Math.abs(trend.r2 - 1) < 1e-9)
  t.ok(Math.abs(crossingInMs(trend, 28) - 5_000) < 1e-6, '10 more at 2/s: 5 s')
  t.equal(crossingInMs(trend, 18), 0, 'already at the limit')
  t.equal(crossingInMs({ ...trend, slopePerSecond: 0 }, 28), Infinity)
  t.equal(fitTrend(samples, 4_000, 6), null, 'too few samples')
  t.equal(fitTrend({ times: [5, 5, 5, 5, 5], values: [1, 2, 3, 4, 5] }, 5, 5), null, 'one instant: no line')
  const flat = fitTrend({ times: [0, 1, 2, 3, 4], values: [7, 7, 7, 7, 7] }, 4, 5)!
  t.equal(flat.r2, 0, 'constant samples: R² 0, not NaN')
  t.ok(Math.abs(flat.slopePerSecond) < 1e-9)
})

t.test('sample windows keep the newest `capacity` samples and select by time', async (t) => {
  const w = new SampleWindows(2, 3)
  for (const ms of [1, 2, 3, 4]) w.push(0, ms, ms * 10)
  t.same(w.since(0, 0), { times: [2, 3, 4], values: [20, 30, 40] })
  t.same(w.since(0, 3), { times: [3, 4], values: [30, 40] })
  t.same(w.since(1, 0), { times: [], values: [] })
})

t.test('a latency ramp (5 → 200 ms over 20 s, continuing) drains with the crossing predicted within 0.5 s', async (t) => {
  // p99 = 5 + 9.75 ms/s × t, with ±5 ms seeded uniform noise; limit 250 ms → true crossing at t = 245 / 9.75 s.
  const trueCrossingMs = (245 / 9.75) * 1_000
  const rng = new SeededRng(7)
  const { decisions, run } = setup(1, { latencyLimitMs: 250, leadTimeMs: 10_000 })
  run(0, 30_000, (_, ms) => 5 + 9.75 * (ms / 1_000) + (rng.next() - 0.5) * 10)
  const drain = decisions.find((d) => d.decision === 'drain')!
  t.ok(drain, 'drained')
  t.equal(drain.forecast!.metric, 'latency')
  t.ok(drain.forecast!.crossingInMs <= 10_000, 'within the lead time')
  t.ok(drain.forecast!.r2 >= 0.99, `a clean ramp fits well (R² ${drain.forecast!.r2})`)
  t.ok(Math.abs(drain.forecast!.slopePerSecond - 9.75) < 0.3, `slope ${drain.forecast!.slopePerSecond} ≈ 9.75 ms/s`)
  const predictedMs = drain.atMs + drain.forecast!.crossingInMs
  t.ok(Math.abs(predictedMs - trueCrossingMs) < 500, `predicted ${predictedMs} ms vs true ${trueCrossingMs.toFixed(0)} ms`)
  t.equal(drain.atMs, 16_000, 'first evaluation with the crossing ≤ 10 s away (true crossing 25.1 s)')
  t.equal(decisions.filter((d) => d.decision === 'drain').length, 1, 'one decision, not one per evaluation')
})

t.test('a flat noisy series never drains', async (t) => {
  const rng = new SeededRng(42)
  const { f, decisions, run } = setup(3, { latencyLimitMs: 100, leadTimeMs: 30_000 })
  run(0, 300_000, () => 50 + (rng.next() - 0.5) * 20, () => 0.1 + (rng.next() - 0.5) * 0.1)
  t.same(decisions, [])
  t.ok(f.forecast(0)!.r2 < 0.8)
  t.notOk(f.wantsDrain(0))
})

t.test('a rising but very noisy series (R² < minR2) does not drain', async (t) => {
  const rng = new SeededRng(3)
  const { decisions, run } = setup(1, { latencyLimitMs: 100, leadTimeMs: 30_000 })
  run(0, 20_000, (_, ms) => 40 + ms / 1_000 + (rng.next() - 0.5) * 80)
  t.same(decisions, [])
})

t.test('a reversal undrains (after the window\'s lag), and a falling trend is reported as no longer rising', async (t) => {
  const { f, decisions, run } = setup(1, { latencyLimitMs: 250, leadTimeMs: 10_000 })
  run(0, 20_000, (_, ms) => 5 + 10 * (ms / 1_000))
  t.ok(f.wantsDrain(0))
  run(21_000, 60_000, (_, ms) => 205 - 10 * ((ms - 20_000) / 1_000))
  t.same(decisions.map((d) => d.decision), ['drain', 'undrain'])
  const undrain = decisions[1]
  // A line through a 30 s window lags a sharp V: the fit stops reaching 250 ms within 20 s only 12 s after the peak.
  t.equal(undrain.atMs, 32_000)
  t.ok(undrain.forecast!.crossingInMs > 20_000, 'the crossing moved beyond 2 × the lead time')
  t.notOk(f.wantsDrain(0))

  // A 5 s window and a long lead (hold while the crossing is within 60 s): the slope itself turns negative
  // 2 s after a sharp drop (the fit over 17–22 s: −8.57 ms/s), and that is the cause given.
  const short = setup(1, { latencyLimitMs: 250, leadTimeMs: 30_000, windowMs: 5_000 })
  short.run(0, 20_000, (_, ms) => 5 + 10 * (ms / 1_000))
  short.run(21_000, 30_000, (_, ms) => 205 - 40 * ((ms - 20_000) / 1_000))
  t.same(short.decisions.map((d) => [d.atMs, d.decision]), [[4_000, 'drain'], [22_000, 'undrain']])
  t.equal(short.decisions[1].cause, 'latency no longer rising')
  t.ok(Math.abs(short.decisions[1].forecast!.slopePerSecond - -60 / 7) < 1e-9)
})

t.test('hysteresis: stays drained while the crossing is within 2 × the lead time', async (t) => {
  // Rising at 10 ms/s towards 250 ms, then flattening to 2 ms/s: crossing moves from < 10 s to 10–20 s, then beyond.
  const { decisions, run } = setup(1, { latencyLimitMs: 250, leadTimeMs: 10_000, windowMs: 5_000 })
  run(0, 17_000, (_, ms) => 5 + 10 * (ms / 1_000)) // drains at ~15 s
  t.same(decisions.map((d) => d.decision), ['drain'])
  const at17 = 5 + 170
  run(18_000, 26_000, (_, ms) => at17 + 5 * ((ms - 17_000) / 1_000)) // 5 ms/s: crossing (250 − v)/5 s ≤ 20 s
  t.same(decisions.map((d) => d.decision), ['drain'], 'held: crossing between 1× and 2× lead')
  run(27_000, 40_000, (_, ms) => at17 + 45 + 0.5 * ((ms - 26_000) / 1_000)) // 0.5 ms/s: crossing > 60 s
  t.same(decisions.map((d) => d.decision), ['drain', 'undrain'])
  t.match(decisions[1].cause, /^latency projected to reach 250 only in \d+\.\d s$/)
})

t.test('a drained endpoint without samples undrains once its window empties', async (t) => {
  const { decisions, run } = setup(1, { latencyLimitMs: 250, leadTimeMs: 10_000, windowMs: 10_000 })
  run(0, 20_000, (_, ms) => 5 + 10 * (ms / 1_000))
  t.same(decisions.map((d) => d.decision), ['drain'])
  run(21_000, 40_000, () => Number.NaN, () => Number.NaN) // drained: no traffic, no samples
  t.same(decisions.map((d) => d.decision), ['drain', 'undrain'])
  t.equal(decisions[1].atMs, 27_000, 'at 26 s the samples of 16–20 s still make 5; at 27 s 4 remain')
  t.equal(decisions[1].cause, 'fewer than 5 samples in the window')
  t.equal(decisions[1].forecast, null)
})

t.test('the error rate is forecast too, and endpoints are independent', async (t) => {
  const { f, decisions, run } = setup(2, { errorRateLimit: 0.5, leadTimeMs: 10_000 })
  run(0, 30_000, () => 20, (i, ms) => (i === 1 ? 0.005 + 0.02 * (ms / 1_000) : 0.01))
  t.equal(decisions.length, 1)
  t.equal(decisions[0].i, 1)
  t.equal(decisions[0].forecast!.metric, 'error-rate')
  t.equal(decisions[0].atMs, 15_000, '0.005 + 0.02/s reaches 0.5 at 24.75 s: 9.75 s ahead at 15 s, 10.75 s at 14 s')
  t.equal(f.forecast(1)!.metric, 'error-rate', 'the more imminent of the two metrics')
  t.notOk(f.wantsDrain(0))
})
