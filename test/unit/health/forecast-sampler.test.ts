import t from 'tap'
import { Outcome } from '../../../src/balancer/types.js'
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

t.test('an endpoint with few attempts merges intervals until it has 20, or 3 intervals have passed', async (t) => {
  const sampler = new ForecastSampler(3)
  const sink = new RecordingSink()
  const interval = (nowMs: number, attemptsOf1: number, attemptsOf2: number) => {
    for (let k = 0; k < 100; k++) sampler.observe(0, Outcome.Success, 200, 10)
    for (let k = 0; k < attemptsOf1; k++) sampler.observe(1, k === 0 ? Outcome.HttpError : Outcome.Success, k === 0 ? 503 : 200, 40)
    for (let k = 0; k < attemptsOf2; k++) sampler.observe(2, Outcome.Success, 200, 80)
    sampler.flush(sink, nowMs)
  }
  interval(2_000, 12, 2)
  t.same(sink.samples.map((s) => s[0]), [0], 'endpoints 1 and 2 wait: 12 and 2 attempts')
  interval(4_000, 12, 2)
  const second = sink.samples.slice(1)
  t.same(second.map((s) => [s[0], s[1]]), [[0, 4_000], [1, 4_000]], '1 reports over two intervals, 24 attempts')
  t.equal(second[1][3], 2 / 24, 'its error rate covers both intervals')
  interval(6_000, 0, 2)
  const third = sink.samples.slice(3)
  t.same(third.map((s) => s[0]), [0, 1, 2], '2 reports after 3 intervals with 6 attempts; 1 is idle (NaN)')
  t.ok(Number.isNaN(third[1][2]))
  t.ok(third[2][2] >= 80 && third[2][2] < 87.2, `p99 of 2: ${third[2][2]}`)
  interval(8_000, 0, 2)
  t.same(sink.samples.slice(6).map((s) => s[0]), [0, 1], "2 started afresh: its 2 attempts wait again")
})
