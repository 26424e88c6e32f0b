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
  sampler.observe(2, Outcome.Success, 200, 5)
  sampler.observe(2, Outcome.HttpError, 503, 5)
  sampler.observe(2, Outcome.ConnectFailure, 0, 1)
  sampler.observe(2, Outcome.Success, 200, 5)
  sampler.observe(3, Outcome.ClientAbort, 0, 900) // never counts
  const sink = new RecordingSink()
  sampler.flush(sink, 2_000)
  const [s0, s1, s2, s3] = sink.samples
  // Log buckets: the quantile is its bucket's upper bound, within 9 % above the value.
  t.ok(s0[2] >= 10 && s0[2] < 10.9, `p99 of a steady 10 ms: ${s0[2]}`)
  t.equal(s0[3], 0)
  t.ok(s1[2] >= 40 && s1[2] < 43.6)
  t.equal(s2[3], 0.5, '2 failures (a 503 and a refused connect) in 4 attempts')
  t.ok(Number.isNaN(s3[2]) && Number.isNaN(s3[3]), 'only a client abort: no sample')
  t.equal(sink.baselines.length, 1)
  t.ok(Math.abs(sink.baselines[0] - s0[2]) < 1e-9, 'median of the three p99s (5, 10, 40 ms) is the 10 ms one')
  sampler.flush(sink, 4_000)
  t.ok(sink.samples.slice(4).every(([, , p99, rate]) => Number.isNaN(p99) && Number.isNaN(rate)), 'a new interval starts empty')
  t.ok(Number.isNaN(sink.baselines[1]), 'no median without two answering endpoints')
})
