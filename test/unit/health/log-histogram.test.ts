import t from 'tap'
import { BUCKETS, LogHistograms, upperBound } from '../../../src/health/log-histogram.js'

t.test('bucket bounds are 0.125 ms × 2^(k/8); a quantile is its bucket upper bound', async (t) => {
  t.equal(upperBound(0), 0.125)
  t.equal(upperBound(8), 0.25)
  t.equal(upperBound(80), 128)
  const h = new LogHistograms(2)
  h.record(0, 100) // log2(800) × 8 = 77.15… → bucket 78
  t.equal(h.quantile(0, 0.99), upperBound(78))
  t.ok(upperBound(78) >= 100 && upperBound(78) < 100 * 2 ** (1 / 8), 'overestimates by less than 9 %')
  t.ok(Number.isNaN(h.quantile(1, 0.99)), 'NaN when empty')
})

t.test('p99 of 100 samples is the 99th smallest; extremes are clamped into the first and last bucket', async (t) => {
  const h = new LogHistograms(1)
  for (let k = 0; k < 98; k++) h.record(0, 1)
  h.record(0, 64)
  h.record(0, 4_000)
  t.equal(h.count(0), 100)
  t.equal(h.quantile(0, 0.99), 64, 'rank 99 falls on the 64 ms sample (64 is a bucket bound)')
  t.equal(h.quantile(0, 0.5), 1)
  t.equal(h.quantile(0, 1), upperBound(Math.ceil(Math.log2(4_000 / 0.125) * 8)))
  const edges = new LogHistograms(1)
  edges.record(0, 0)
  edges.record(0, -5)
  edges.record(0, Number.NaN)
  t.equal(edges.quantile(0, 1), 0.125, 'zero, negative and NaN land in bucket 0')
  edges.record(0, 1e12)
  t.equal(edges.quantile(0, 1), upperBound(BUCKETS - 1), 'beyond the range lands in the last bucket')
  edges.clear()
  t.equal(edges.count(0), 0)
})
