import t from 'tap'
import { Outcome } from '../../../src/util/outcome.js'
import { upperBound } from '../../../src/health/log-histogram.js'
import { OutlierDetector, type OutlierReason } from '../../../src/health/outlier-detector.js'
import { outlierConfig } from './fixtures.js'
import type { OutlierConfig } from '../../../src/config/types.js'

interface Report {
  i: number
  reason: OutlierReason
  data: Record<string, number>
}

function setup(n: number, overrides: Partial<OutlierConfig> = {}) {
  const reports: Report[] = []
  const detector = new OutlierDetector(n, outlierConfig(overrides), { onOutlier: (i, reason, data) => reports.push({ i, reason, data }) })
  return { detector, reports }
}

/** One observation per character: S 200, E 500, C connect failure, T timeout, R reset, A client abort. */
function feed(detector: OutlierDetector, i: number, sequence: string): void {
  for (const c of sequence) {
    if (c === 'S') detector.observe(i, Outcome.Success, 200, 5)
    else if (c === 'E') detector.observe(i, Outcome.HttpError, 500, 5)
    else if (c === 'C') detector.observe(i, Outcome.ConnectFailure, 0, 1)
    else if (c === 'T') detector.observe(i, Outcome.Timeout, 0, 1000)
    else if (c === 'R') detector.observe(i, Outcome.Reset, 0, 3)
    else if (c === 'A') detector.observe(i, Outcome.ClientAbort, 0, 3)
  }
}

const consecutiveCases: { name: string; sequence: string; reasons: OutlierReason[] }[] = [
  { name: '5 × 500 in a row', sequence: 'EEEEE', reasons: ['consecutive-5xx'] },
  { name: 'a success breaks the 5xx streak', sequence: 'EEEESEEEE', reasons: [] },
  { name: 'client aborts neither count nor break a streak', sequence: 'EEAEEAAE', reasons: ['consecutive-5xx'] },
  { name: '3 gateway errors in a row (connect, timeout, reset)', sequence: 'CTR', reasons: ['consecutive-gateway-errors'] },
  { name: 'a 500 breaks the gateway streak but feeds the 5xx one', sequence: 'CCECC', reasons: ['consecutive-5xx'] },
  { name: '5 timeouts: gateway at the 3rd, 5xx at the 5th', sequence: 'TTTTT', reasons: ['consecutive-gateway-errors', 'consecutive-5xx'] },
  { name: 'the counter restarts after a report: 10 × 500 report twice', sequence: 'EEEEEEEEEE', reasons: ['consecutive-5xx', 'consecutive-5xx'] },
  { name: 'only aborts: nothing', sequence: 'AAAAAAAAAA', reasons: [] },
]

for (const c of consecutiveCases) {
  t.test(`consecutive: ${c.name}`, async (t) => {
    const { detector, reports } = setup(2)
    feed(detector, 1, c.sequence)
    t.same(reports.map((r) => r.reason), c.reasons)
    t.ok(reports.every((r) => r.i === 1))
  })
}

t.test('consecutive reports fire on the observation that reaches the threshold', async (t) => {
  const { detector, reports } = setup(1)
  feed(detector, 0, 'EEEE')
  t.equal(reports.length, 0)
  feed(detector, 0, 'E')
  t.same(reports, [{ i: 0, reason: 'consecutive-5xx', data: { consecutive: 5 } }])
})

/** Sets endpoint i's interval to `requests` requests of which `failures` are 500s. */
function load(detector: OutlierDetector, i: number, requests: number, failures: number, latencyMs = 5): void {
  for (let k = 0; k < requests; k++) {
    if (k < failures) detector.observe(i, Outcome.HttpError, 503, latencyMs)
    else detector.observe(i, Outcome.Success, 200, latencyMs)
  }
}

// Failures are spread so no consecutive threshold is reached: use a huge consecutive threshold.
const noConsecutive = { consecutive5xx: 1_000_000, consecutiveGatewayErrors: 1_000_000 }

t.test("success rate: Envoy's example {50,100,100,100,100} % → mean 90, σ 20, threshold 52", async (t) => {
  const { detector, reports } = setup(5, noConsecutive)
  for (let i = 0; i < 4; i++) load(detector, i, 200, 0)
  load(detector, 4, 200, 100)
  detector.evaluate()
  t.equal(reports.length, 1)
  const [r] = reports
  t.equal(r.i, 4)
  t.equal(r.reason, 'success-rate')
  t.equal(r.data.successRate, 0.5)
  t.ok(Math.abs(r.data.mean - 0.9) < 1e-12)
  t.ok(Math.abs(r.data.stdev - 0.2) < 1e-12)
  t.ok(Math.abs(r.data.threshold - 0.52) < 1e-12)
  t.same(detector.detectedCounts()['success-rate'], 1)
})

t.test('success rate needs minimumHosts endpoints with requestVolume requests each', async (t) => {
  const { detector, reports } = setup(5, noConsecutive)
  for (let i = 0; i < 3; i++) load(detector, i, 200, 0)
  load(detector, 3, 99, 0) // one short of the volume
  load(detector, 4, 200, 100)
  detector.evaluate()
  t.same(reports, [], 'only 4 qualify, 5 needed')
  t.equal(detector.intervalStats(3).requests, 99)
  t.equal(detector.intervalStats(4).successRate, 0.5)
})

t.test('the interval restarts after evaluate()', async (t) => {
  const { detector, reports } = setup(5, noConsecutive)
  for (let i = 0; i < 4; i++) load(detector, i, 200, 0)
  load(detector, 4, 200, 100)
  detector.evaluate()
  detector.evaluate()
  t.equal(reports.length, 1, 'the second interval had no traffic')
  t.equal(detector.intervalStats(4).requests, 0)
  t.ok(Number.isNaN(detector.intervalStats(4).successRate))
})

t.test('skip() leaves endpoints out of the statistics (ejected ones)', async (t) => {
  const { detector, reports } = setup(5, noConsecutive)
  for (let i = 0; i < 4; i++) load(detector, i, 200, 0)
  load(detector, 4, 200, 100)
  detector.evaluate((i) => i === 4)
  t.same(reports, [])
})

t.test('failure percentage: at or above the threshold, even when all endpoints are alike (σ = 0)', async (t) => {
  const { detector, reports } = setup(5, noConsecutive)
  for (let i = 0; i < 4; i++) load(detector, i, 100, 85) // exactly 85 %
  load(detector, 4, 100, 84)
  detector.evaluate()
  t.same(
    reports.map((r) => [r.i, r.reason]),
    [0, 1, 2, 3].map((i) => [i, 'failure-percentage']),
  )
  t.ok(Math.abs(reports[0].data.failurePercent - 85) < 1e-9)
})

t.test('latency: p99 over 3 × the median p99 for 2 evaluated intervals in a row', async (t) => {
  const { detector, reports } = setup(5, noConsecutive)
  const interval = (slowMs: number) => {
    for (let i = 0; i < 4; i++) load(detector, i, 100, 0, 10)
    load(detector, 4, 100, 0, slowMs)
    detector.evaluate()
  }
  interval(50)
  t.same(reports, [], 'one slow interval is not enough')
  t.equal(detector.intervalStats(4).latencyStreak, 1)
  interval(50)
  t.equal(reports.length, 1)
  t.equal(reports[0].reason, 'latency')
  t.equal(reports[0].i, 4)
  const bucket = (ms: number) => upperBound(Math.ceil(Math.log2(ms / 0.125) * 8))
  t.equal(reports[0].data.p99Ms, bucket(50))
  t.equal(reports[0].data.medianP99Ms, bucket(10))
  t.equal(detector.intervalStats(4).latencyStreak, 0, 'the streak restarts after a report')
})

t.test('latency: a normal interval, or one without volume, breaks the streak; 2.5 × is not over 3 ×', async (t) => {
  const { detector, reports } = setup(5, noConsecutive)
  const interval = (slowMs: number, slowRequests = 100) => {
    for (let i = 0; i < 4; i++) load(detector, i, 100, 0, 8)
    load(detector, 4, slowRequests, 0, slowMs)
    detector.evaluate()
  }
  interval(50)
  interval(8)
  interval(50)
  t.same(reports, [])
  interval(50, 10)
  interval(50)
  t.same(reports, [], 'the low-volume interval broke the streak')
  interval(20) // 2.5 × the median: under the multiple
  interval(20)
  t.same(reports, [])
})

t.test('each interval rule has its own host gate: latency judges 3 endpoints, success rate and failure percentage need 5', async (t) => {
  // Endpoint 0 answers in 100 ms (its peers in 10 ms) and fails `failures` of its 100 requests.
  const cases: { hosts: number; failures: number; overrides: Partial<OutlierConfig>; reasons: OutlierReason[] }[] = [
    { hosts: 3, failures: 0, overrides: {}, reasons: ['latency'] },
    { hosts: 2, failures: 0, overrides: {}, reasons: [] },
    // The median of two is their mean, 55 ms: 100 ms is not over 3 × that.
    { hosts: 2, failures: 0, overrides: { latencyMinimumHosts: 2 }, reasons: [] },
    { hosts: 3, failures: 90, overrides: {}, reasons: ['latency'] },
    { hosts: 3, failures: 90, overrides: { failurePercentageMinimumHosts: 3 }, reasons: ['failure-percentage'] },
    // Of three, one can lie at most √2 σ below the mean: a factor of 1 lets it.
    { hosts: 3, failures: 90, overrides: { successRateMinimumHosts: 3, successRateStdevFactor: 1 }, reasons: ['success-rate'] },
  ]
  for (const c of cases) {
    const { detector, reports } = setup(c.hosts, { ...noConsecutive, latencyIntervals: 1, ...c.overrides })
    for (let i = 1; i < c.hosts; i++) load(detector, i, 100, 0, 10)
    load(detector, 0, 100, c.failures, 100)
    detector.evaluate()
    t.same(reports.map((r) => r.reason), c.reasons, `${c.hosts} hosts, ${c.failures} % failing, ${JSON.stringify(c.overrides)}`)
  }
})

t.test('an endpoint is reported once per evaluation, success rate first', async (t) => {
  const { detector, reports } = setup(6, { ...noConsecutive, latencyIntervals: 1 })
  for (let i = 0; i < 5; i++) load(detector, i, 200, 0, 5)
  load(detector, 5, 200, 200, 500) // fails everything, slowly
  detector.evaluate()
  t.same(reports.map((r) => r.reason), ['success-rate'])
})
