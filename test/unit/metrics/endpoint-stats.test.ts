import t from 'tap'
import { EndpointStats } from '../../../src/metrics/endpoint-stats.js'
import { ManualClock } from '../../../src/util/clock.js'

/** HdrHistogram with 3 significant digits: any reported value is within 0.1 % of the recorded one. */
function near(actual: number, expected: number): boolean {
  return Math.abs(actual - expected) <= expected * 0.001
}

t.test('responses count by status class', async (t) => {
  const cases: [number, keyof ReturnType<EndpointStats['counts']>['byClass']][] = [
    [101, '1xx'],
    [200, '2xx'],
    [204, '2xx'],
    [304, '3xx'],
    [404, '4xx'],
    [499, '4xx'],
    [500, '5xx'],
    [503, '5xx'],
  ]
  const stats = new EndpointStats()
  for (const [status] of cases) stats.recordResponse(status, 1)
  const { byClass, requests, errors } = stats.counts()
  t.same(byClass, { '1xx': 1, '2xx': 2, '3xx': 1, '4xx': 2, '5xx': 2 })
  t.equal(requests, cases.length)
  t.equal(errors, 0, 'an HTTP error status is a response, not a failed attempt')
})

t.test('failures count per code; client aborts apart from backend errors', async (t) => {
  const stats = new EndpointStats()
  const failures = ['BATON_UPSTREAM_CONNECT', 'BATON_UPSTREAM_TIMEOUT', 'BATON_UPSTREAM_CONNECT', 'BATON_CLIENT_ABORT', 'BATON_CLIENT_ABORT']
  for (const code of failures) stats.recordFailure(code, code === 'BATON_CLIENT_ABORT')
  const counts = stats.counts()
  t.equal(counts.errors, 3)
  t.same(counts.errorsByCode, { BATON_UPSTREAM_CONNECT: 2, BATON_UPSTREAM_TIMEOUT: 1 })
  t.equal(counts.clientAborts, 2)
  t.equal(counts.requests, 5, 'every finished attempt is a request')
  t.equal(stats.latency().count, 0, 'failures stay out of the latency histogram')
  stats.recordResponse(200, 5)
  stats.recordBrokenResponse('BATON_UPSTREAM_RESET')
  t.equal(stats.counts().requests, 6, 'a response broken off mid-body is one request')
  t.equal(stats.counts().errorsByCode.BATON_UPSTREAM_RESET, 1, 'and one error')
})

t.test('quantiles of known values within HDR precision', async (t) => {
  const stats = new EndpointStats()
  for (let ms = 1; ms <= 1000; ms++) stats.recordResponse(200, ms)
  const latency = stats.latency()
  const expected = { p50: 500, p90: 900, p99: 990, p999: 999, max: 1000, mean: 500.5 }
  for (const [key, value] of Object.entries(expected)) {
    const actual = latency[key as keyof typeof expected]
    t.ok(near(actual, value), `${key} = ${actual}, expected ${value} ± 0.1 %`)
  }
  t.equal(latency.count, 1000)
})

t.test('sub-millisecond latencies keep µs resolution; quantiles never exceed max', async (t) => {
  const stats = new EndpointStats()
  for (const ms of [0.05, 0.25, 0.25, 0.75, 5.0015]) stats.recordResponse(200, ms)
  const latency = stats.latency()
  t.equal(latency.p50, 0.25)
  t.equal(latency.max, 5.002, 'max is exact, to the µs')
  t.ok(latency.p999 <= latency.max, `p99.9 ${latency.p999} ≤ max ${latency.max}`)
  t.equal(latency.mean, 1.26, 'exact mean of the µs values (6302 / 5), rounded to the µs')
})

t.test('out-of-range latencies are clamped, never thrown', async (t) => {
  const stats = new EndpointStats()
  stats.recordResponse(200, -5)
  stats.recordResponse(200, 10 * 3_600_000)
  const latency = stats.latency()
  t.equal(latency.count, 2)
  t.equal(latency.max, 3_600_000, 'capped at one hour')
})

t.test('an empty endpoint reports zeros', async (t) => {
  t.same(new EndpointStats().snapshot(1000), {
    requests: 0,
    byClass: { '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 },
    errors: 0,
    errorsByCode: {},
    clientAborts: 0,
    rps: 0,
    latencyMs: { p50: 0, p90: 0, p99: 0, p999: 0, max: 0, mean: 0, count: 0 },
  })
})

t.test('rollover keeps the previous interval and drops the one before', async (t) => {
  const stats = new EndpointStats()
  for (let i = 0; i < 10; i++) stats.recordResponse(200, 100)
  stats.rollover(10_000)
  t.equal(stats.latency().count, 10, 'just after a rollover, quantiles still see the finished interval')
  t.ok(near(stats.latency().p50, 100))
  for (let i = 0; i < 10; i++) stats.recordResponse(200, 2)
  t.equal(stats.latency().count, 20, 'previous ∪ current')
  t.ok(near(stats.latency().p50, 2), 'ties resolve to the lower half')
  t.ok(near(stats.latency().max, 100))
  stats.rollover(20_000)
  stats.rollover(30_000)
  t.equal(stats.latency().count, 0, 'two rollovers later both intervals are gone')
  t.equal(stats.counts().requests, 20, 'counters are monotonic: rollover does not touch them')
  for (let i = 0; i < 3; i++) stats.recordResponse(200, 7)
  t.ok(near(stats.latency().max, 7), 'a reused histogram starts clean')
})

t.test('rps is finished attempts over the previous and current intervals', async (t) => {
  const clock = new ManualClock(5_000)
  const stats = new EndpointStats(clock.now())
  const steps: { record: number; advanceMs: number; rollover: boolean; rps: number }[] = [
    // 100 in the first 10 s: 10/s, over the first interval only
    { record: 100, advanceMs: 10_000, rollover: true, rps: 10 },
    // 50 more in 5 s: 150 over the 15 s since the previous interval started
    { record: 50, advanceMs: 5_000, rollover: false, rps: 10 },
    // 5 s later, rollover: the window is now the 10 s interval that held those 50
    { record: 0, advanceMs: 5_000, rollover: true, rps: 5 },
    // a quiet interval: the 50 age out of the window
    { record: 0, advanceMs: 10_000, rollover: true, rps: 0 },
  ]
  for (const [i, step] of steps.entries()) {
    for (let r = 0; r < step.record; r++) {
      if (r % 2 === 0) stats.recordResponse(200, 1)
      else stats.recordFailure('BATON_UPSTREAM_RESET', false)
    }
    clock.advance(step.advanceMs)
    if (step.rollover) stats.rollover(clock.now())
    t.equal(stats.snapshot(clock.now()).rps, step.rps, `step ${i}`)
  }
  t.equal(new EndpointStats(100).rps(100), 0, 'no elapsed time, no rate')
})
