import t from 'tap'
import { createLatencyHistogram, summarizeLatency, toMicros } from '../../../src/metrics/latency-histogram.js'
import { SeededRng } from '../../../src/util/rng.js'

t.test('one-pass quantiles of a ∪ b match HdrHistogram on the merged histogram', async (t) => {
  const rng = new SeededRng(42)
  const shapes: [string, () => number][] = [
    ['log-uniform 0.2 ms..200 ms', () => Math.exp(Math.log(0.2) + rng.next() * Math.log(1000))],
    ['bimodal 2 ms / 800 ms', () => (rng.next() < 0.97 ? 2 + rng.next() : 800 + rng.next() * 50)],
    ['constant 5 ms', () => 5],
  ]
  for (const [name, sample] of shapes) {
    const a = createLatencyHistogram()
    const b = createLatencyHistogram()
    const merged = createLatencyHistogram()
    let sumUs = 0
    for (let i = 0; i < 20_000; i++) {
      const us = toMicros(sample())
      ;(i % 3 === 0 ? a : b).recordValue(us)
      merged.recordValue(us)
      sumUs += us
    }
    const summary = summarizeLatency(a, b, sumUs)
    const reference = (p: number) => Math.min(merged.getValueAtPercentile(p), merged.maxValue) / 1000
    t.same(
      [summary.p50, summary.p90, summary.p99, summary.p999, summary.max],
      [reference(50), reference(90), reference(99), reference(99.9), merged.maxValue / 1000],
      name,
    )
    t.equal(summary.count, 20_000)
  }
})

t.test('toMicros rounds to whole µs and clamps into range', async (t) => {
  const cases: [number, number][] = [
    [1.2344, 1234],
    [0.0004, 0],
    [-3, 0],
    [1e12, 3_600_000_000],
  ]
  for (const [ms, us] of cases) t.equal(toMicros(ms), us, `${ms} ms`)
})
