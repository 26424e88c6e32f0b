import t from 'tap'
import { Outcome } from '../../../src/util/outcome.js'
import { ForecastSampler, type ForecastSink } from '../../../src/health/forecast-sampler.js'

class RecordingSink implements ForecastSink {
  samples: [number, number, number, number][] = []
  baselines: number[] = []
  recordForecastSample(i: number, nowMs: number, p99Ms: number, errorRate: number): void {
    this.samples.push([i, nowMs, p99Ms, errorRate])
  }
  setLatencyBaseline(medianP99Ms: number): void {
    this.baselines.push(medianP99Ms)
  }
}

t.test('one sample per endpoint per interval: p99, error rate over answered attempts, NaN when idle', async (t) => {
  const sampler = new ForecastSampler(4)
  for (let k = 0; k < 100; k++) sampler.observe(0, Outcome.Success, 200, 10)
  for (let k = 0; k < 100; k++) sampler.observe(1, Outcome.Success, 200, 40)
  for (let k = 0; k < 5; k++) {
    sampler.observe(2, Outcome.Success, 200, 5)
    sampler.observe(2, Outcome.HttpError, 503, 5)
    sampler.observe(2, Outcome.ConnectFailure, 0, 1)
    sampler.observe(2, Outcome.Success, 200, 5)
  }
  sampler.observe(3, Outcome.ClientAbort, 0, 900) // never counts
  const sink = new RecordingSink()
  sampler.flush(sink, 2_000)
  const [s0, s1, s2, s3] = sink.samples
  // Log buckets: the quantile is its bucket's upper bound, within 9 % above the value.
  t.ok(s0[2] >= 10 && s0[2] < 10.9, `p99 of a steady 10 ms: ${s0[2]}`)
  t.equal(s0[3], 0)
  t.ok(s1[2] >= 40 && s1[2] < 43.6)
  t.equal(s2[3], 0.5, '10 failures (503s and refused connects) in 20 attempts')
  t.ok(Number.isNaN(s3[2]) && Number.isNaN(s3[3]), 'only a client abort: no sample')
  t.equal(sink.baselines.length, 1)
  t.ok(Math.abs(sink.baselines[0] - s0[2]) < 1e-9, 'median of the three p99s (5, 10, 40 ms) is the 10 ms one')
  sampler.flush(sink, 4_000)
  t.ok(sink.samples.slice(4).every(([, , p99, rate]) => Number.isNaN(p99) && Number.isNaN(rate)), 'a new interval starts empty')
  t.ok(Number.isNaN(sink.baselines[1]), 'no median without two answering endpoints')
})

t.test('an endpoint with few attempts reaches back over up to 3 intervals for 20; still one sample per interval', async (t) => {
  const sampler = new ForecastSampler(3)
  const sink = new RecordingSink()
  const interval = (nowMs: number, attemptsOf1: number, attemptsOf2: number, latencyOf2 = 80) => {
    for (let k = 0; k < 100; k++) sampler.observe(0, Outcome.Success, 200, 10)
    for (let k = 0; k < attemptsOf1; k++) sampler.observe(1, k === 0 ? Outcome.HttpError : Outcome.Success, k === 0 ? 503 : 200, 40)
    for (let k = 0; k < attemptsOf2; k++) sampler.observe(2, Outcome.Success, 200, latencyOf2)
    sampler.flush(sink, nowMs)
    return sink.samples.splice(0)
  }
  const first = interval(2_000, 12, 2)
  t.same(first.map((s) => s[0]), [0, 1, 2], 'every endpoint with traffic reports, however little')
  t.equal(first[1][3], 1 / 12)
  const second = interval(4_000, 12, 2)
  t.equal(second[1][3], 2 / 24, "1's sample covers both intervals: 24 attempts, 2 failures")
  const third = interval(6_000, 30, 2, 160)
  t.equal(third[1][3], 1 / 30, '30 attempts in the interval: no reaching back')
  t.ok(third[2][2] >= 160 && third[2][2] < 174.4, `2 merges its 3 intervals (6 attempts) and the p99 is the new 160 ms: ${third[2][2]}`)
  const fourth = interval(8_000, 0, 2)
  t.ok(Number.isNaN(fourth[1][2]) && Number.isNaN(fourth[1][3]), 'no traffic in the interval: NaN, earlier ones are not repeated')
  t.ok(fourth[2][2] >= 160 && fourth[2][2] < 174.4, 'the 160 ms interval is still among the 3 latest')
  const fifth = interval(10_000, 0, 2)
  t.ok(fifth[2][2] >= 160 && fifth[2][2] < 174.4)
  const sixth = interval(12_000, 0, 2)
  t.ok(sixth[2][2] >= 80 && sixth[2][2] < 87.2, `the 160 ms interval has aged out: ${sixth[2][2]}`)
})
