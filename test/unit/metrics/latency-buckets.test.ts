import t from 'tap'
import { EndpointStats } from '../../../src/metrics/endpoint-stats.js'
import { addToBuckets, LATENCY_BUCKET_BOUNDS_US } from '../../../src/metrics/latency-buckets.js'
import { createLatencyHistogram } from '../../../src/metrics/latency-histogram.js'

/** The index of the bucket holding `us` by the definition: the first bound ≥ us, else the overflow slot. */
function expectedBucket(us: number): number {
  const k = LATENCY_BUCKET_BOUNDS_US.findIndex((b) => us <= b)
  return k === -1 ? LATENCY_BUCKET_BOUNDS_US.length : k
}

t.test('a value counts in the first bucket whose bound is at or above it', async (t) => {
  const values = [0, 1, 999, 1_000, 1_001, 2_500, 2_502, 9_999, 10_000, 10_050, 250_000, 999_000, 1_000_000, 9_990_000, 10_000_000, 10_050_000, 3_600_000_000]
  for (const us of values) {
    const h = createLatencyHistogram()
    h.recordValue(us)
    const into = new Float64Array(LATENCY_BUCKET_BOUNDS_US.length + 1)
    addToBuckets(h, into)
    t.equal(into.indexOf(1), expectedBucket(us), `${us} µs`)
    t.equal(into.reduce((a, b) => a + b, 0), 1, `${us} µs counted once`)
  }
})

t.test('a bound is exact to the HDR precision (±0.1 %)', async (t) => {
  // Above 2048 µs an HDR bucket is wider than 1 µs: 2501 shares 2500's bucket [2500, 2501] and counts under
  // le=0.0025. A value more than 0.1 % above a bound never does.
  for (const bound of LATENCY_BUCKET_BOUNDS_US) {
    const h = createLatencyHistogram()
    h.recordValue(Math.ceil(bound * 1.001) + 1)
    const into = new Float64Array(LATENCY_BUCKET_BOUNDS_US.length + 1)
    addToBuckets(h, into)
    t.equal(into.indexOf(1), LATENCY_BUCKET_BOUNDS_US.indexOf(bound) + 1, `just over ${bound} µs`)
  }
})

t.test('cumulativeLatency keeps every response since creation across rollovers, monotonically', async (t) => {
  const stats = new EndpointStats()
  let previous = stats.cumulativeLatency()
  t.same([...previous.buckets], new Array(LATENCY_BUCKET_BOUNDS_US.length + 1).fill(0))
  t.equal(previous.count, 0)
  let recorded = 0
  let sumUs = 0
  const expected = new Array<number>(LATENCY_BUCKET_BOUNDS_US.length + 1).fill(0)
  // 25 intervals: far more than the two EndpointStats keeps in HDR form
  for (let interval = 0; interval < 25; interval++) {
    for (let i = 0; i < 40; i++) {
      const ms = ((interval * 40 + i) * 7919) % 12_000 / 7 // 0..1714 ms, spread over every bucket
      stats.recordResponse(200, ms)
      recorded++
      const us = Math.round(ms * 1000)
      sumUs += us
      expected[expectedBucket(us)]++
      if (i % 10 === 0) {
        const now = stats.cumulativeLatency()
        for (let k = 0; k < now.buckets.length; k++) t.ok(now.buckets[k] >= previous.buckets[k], 'each bucket is non-decreasing')
        previous = now
      }
    }
    stats.recordFailure('BATON_UPSTREAM_CONNECT', false) // failures stay out of the latency histogram
    stats.rollover(interval * 10_000)
    const now = stats.cumulativeLatency()
    t.equal(now.count, recorded, `interval ${interval}: count survives the rollover`)
    previous = now
  }
  const final = stats.cumulativeLatency()
  t.equal(final.count, 1_000)
  t.equal(final.sumUs, sumUs, 'exact sum, µs')
  // HDR precision can move a value within 0.1 % of a bound to the lower bucket; these values stay clear of that
  t.same([...final.buckets], expected, 'every response in its bucket')
  t.equal(final.buckets.reduce((a, b) => a + b, 0), final.count)
})
