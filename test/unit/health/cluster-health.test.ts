import t from 'tap'
import { Outcome } from '../../../src/util/outcome.js'
import type { HealthConfig } from '../../../src/config/types.js'
import { EventLog } from '../../../src/health/event-log.js'
import { ClusterHealth } from '../../../src/health/cluster-health.js'
import { ManualClock } from '../../../src/util/clock.js'
import { activeConfig, forecastConfig, healthConfig, outlierConfig } from './fixtures.js'

const EPOCH = 1_700_000_000_000

function setup(n: number, overrides: Partial<HealthConfig> = {}) {
  const clock = new ManualClock(1_000)
  const events = new EventLog()
  const changes: [number[], boolean][] = []
  const ids = Array.from({ length: n }, (_, i) => `e${i}`)
  const health = new ClusterHealth('api', ids, healthConfig(overrides), {
    clock,
    wallClock: () => EPOCH + clock.now(),
    events,
    onAvailabilityChange: (available, panic) => changes.push([[...available], panic]),
  })
  /** kind@endpoint of every event so far. */
  const log = () => events.list().map((e) => `${e.kind}@${e.endpoint}`)
  return { clock, events, changes, health, log }
}

function fail5xx(health: ClusterHealth, i: number, times: number): void {
  for (let k = 0; k < times; k++) health.observe(i, Outcome.HttpError, 500, 3)
}

const quickOutlier = outlierConfig({ consecutive5xx: 3, baseEjectionMs: 10_000, maxEjectionFraction: 0.5 })
const slowStart = { mode: 'clock' as const, responses: 20, windowMs: 10_000, aggression: 1, minFraction: 0.1 }

t.test('at start every endpoint is routed, silently; the frozen set keeps its identity until a change', async (t) => {
  const { clock, changes, health, log } = setup(3)
  const first = health.availableIndexes()
  t.same(first, [0, 1, 2])
  t.ok(Object.isFrozen(first))
  clock.advance(60_000)
  health.tick(clock.now())
  t.equal(health.availableIndexes(), first, 'same array: nothing changed')
  t.same(changes, [])
  t.same(log(), [])
  t.equal(health.slowStartFactor(0, clock.now()), 1, 'the initial set does not ramp')
})

t.test('consecutive 5xx eject at once; the endpoint returns after base × 1 and ramps up', async (t) => {
  const { clock, events, changes, health, log } = setup(4, { outlier: quickOutlier, slowStart })
  fail5xx(health, 1, 3)
  t.same(log(), ['ejected@e1'])
  const ejected = events.list()[0]
  t.equal(ejected.cause, 'consecutive-5xx')
  t.same(ejected.data, { consecutive: 3, durationMs: 10_000, timesEjected: 1 })
  t.equal(ejected.timeMs, EPOCH + 1_000)
  t.same(changes, [[[0, 2, 3], false]], 'announced at once, from the hot path')
  t.ok(Object.isFrozen(health.availableIndexes()))
  t.match(health.describe(1, clock.now() + 4_000), {
    state: 'ejected',
    routed: false,
    ejected: true,
    ejectionCount: 1,
    ejectionMultiplier: 1,
    ejectionRemainingMs: 6_000,
  })
  clock.advance(9_999)
  health.tick(clock.now())
  t.same(log(), ['ejected@e1'], 'not a millisecond early')
  clock.advance(1)
  health.tick(clock.now())
  t.same(log(), ['ejected@e1', 'returned@e1'])
  t.same(changes[1], [[0, 1, 2, 3], false])
  const back = clock.now()
  t.equal(health.slowStartFactor(1, back), 0.1, 'slow start from the floor')
  t.equal(health.slowStartFactor(1, back + 5_000), 0.5)
  t.equal(health.slowStartFactor(1, back + 10_000), 1)
  t.equal(health.slowStartFactor(0, back), 1, 'others are at full weight')
  t.match(health.describe(1, back), { state: 'available', routed: true, ejected: false, ejectionCount: 1, slowStartFactor: 0.1 })
})

t.test('client aborts never eject', async (t) => {
  const { health, log } = setup(2, { outlier: quickOutlier })
  for (let k = 0; k < 100; k++) health.observe(0, Outcome.ClientAbort, 0, 1)
  t.same(log(), [])
  t.same(health.availableIndexes(), [0, 1])
})

t.test('the ejection cap: detected and enforced are counted apart, refusals as overflow', async (t) => {
  const { health, log } = setup(4, { outlier: outlierConfig({ consecutive5xx: 3, maxEjectionFraction: 0.25 }) })
  fail5xx(health, 0, 3)
  fail5xx(health, 1, 3)
  t.same(log(), ['ejected@e0'])
  const stats = health.stats()
  t.equal(stats.detected['consecutive-5xx'], 2)
  t.equal(stats.enforced['consecutive-5xx'], 1)
  t.equal(stats.ejectionOverflow, 1)
  t.equal(stats.ejected, 1)
  t.equal(stats.maxEjected, 1)
  t.same(health.availableIndexes(), [1, 2, 3])
})

t.test('panic: below panicThreshold of endpoints available, all are routed; events in order', async (t) => {
  const { clock, events, changes, health, log } = setup(4, { active: activeConfig() })
  health.onHealthChange(0, false, '3 consecutive checks failed, last: status 500')
  health.onHealthChange(1, false, 'x')
  t.notOk(health.stats().panic, '2 of 4 is not below 0.5')
  health.onHealthChange(2, false, 'x')
  t.ok(health.stats().panic)
  t.same(health.availableIndexes(), [0, 1, 2, 3])
  health.onHealthChange(2, true, '2 consecutive checks passed')
  t.notOk(health.stats().panic)
  t.same(log(), ['unhealthy@e0', 'unhealthy@e1', 'unhealthy@e2', 'panic-on@', 'healthy@e2', 'panic-off@'])
  t.same(changes, [
    [[1, 2, 3], false],
    [[2, 3], false],
    [[0, 1, 2, 3], true],
    [[2, 3], false],
  ])
  const panicOn = events.list()[3]
  t.equal(panicOn.cause, '1 of 4 endpoints available')
  t.same(panicOn.data, { available: 1, known: 4, threshold: 0.5 })
  t.equal(events.list()[0].cause, '3 consecutive checks failed, last: status 500')
  t.match(health.describe(0, clock.now()), { state: 'unhealthy', activeHealthy: false, activeState: 'unhealthy', routed: false })
  t.ok(health.stats().panic === false)
})

t.test('`rise` consecutive passing checks end a gateway-error ejection, not a 5xx one', async (t) => {
  const outlier = outlierConfig({ consecutive5xx: 3, consecutiveGatewayErrors: 3, baseEjectionMs: 30_000, maxEjectionFraction: 0.5 })
  const { clock, events, health, log } = setup(4, { active: activeConfig({ rise: 2 }), outlier })
  for (let k = 0; k < 3; k++) health.observe(0, Outcome.ConnectFailure, 0, 1)
  fail5xx(health, 1, 3)
  t.ok(health.wantsFastChecks(0), 'checked fast while ejected for gateway errors')
  t.notOk(health.wantsFastChecks(1), 'a 5xx ejection is not ended by checks: no hurry')
  t.notOk(health.wantsFastChecks(2))
  clock.advance(2_000)
  health.onCheckResult(0, true)
  health.onCheckResult(0, false)
  health.onCheckResult(0, true)
  health.onCheckResult(1, true)
  health.onCheckResult(1, true)
  t.same(log(), ['ejected@e0', 'ejected@e1'], 'a failure in between restarts the count')
  clock.advance(5_000)
  health.onCheckResult(0, true)
  t.same(log(), ['ejected@e0', 'ejected@e1', 'returned@e0'])
  t.equal(events.list()[2].cause, '2 consecutive active checks passed after a gateway-error ejection')
  t.notOk(health.wantsFastChecks(0), 'back in service: checked at the normal interval')
  t.same(health.availableIndexes(), [0, 2, 3], 'e0 back 23 s early; e1 sits out its 5xx ejection')
  t.match(health.describe(0, clock.now()), { state: 'available', ejectionCount: 1, ejectionMultiplier: 1 })
  t.ok(health.slowStartFactor(0, clock.now()) < 1, 'the released endpoint ramps up like any returning one')
  clock.advance(23_000)
  health.tick(clock.now())
  t.same(log().slice(3), ['returned@e1'], 'only e1 returns by time; e0 is not returned twice')
})

t.test('an ejected endpoint the checks found unhealthy returns only once they find it healthy again', async (t) => {
  const outlier = outlierConfig({ consecutiveGatewayErrors: 3, baseEjectionMs: 30_000 })
  const { health, log } = setup(4, { active: activeConfig({ rise: 2 }), outlier })
  for (let k = 0; k < 3; k++) health.observe(0, Outcome.ConnectFailure, 0, 1)
  health.onHealthChange(0, false, '3 consecutive checks failed, last: ECONNREFUSED')
  health.onCheckResult(0, false)
  health.onCheckResult(0, true)
  health.onCheckResult(0, true)
  health.onCheckResult(0, true)
  t.same(log(), ['ejected@e0', 'unhealthy@e0'], 'passes while the active state is unhealthy do not release it')
  health.onHealthChange(0, true, '2 consecutive checks passed')
  health.onCheckResult(0, true)
  t.same(log(), ['ejected@e0', 'unhealthy@e0', 'healthy@e0', 'returned@e0'])
})

t.test('panic by ejection: the only endpoint of an upstream is ejected but still routed', async (t) => {
  const { clock, changes, health, log } = setup(1, { outlier: quickOutlier })
  fail5xx(health, 0, 3)
  t.same(log(), ['ejected@e0', 'panic-on@'])
  t.same(health.availableIndexes(), [0])
  t.same(changes, [], 'the routed set did not change')
  t.match(health.describe(0, clock.now()), { state: 'ejected', routed: true })
  clock.advance(10_000)
  health.tick(clock.now())
  t.same(log(), ['ejected@e0', 'panic-on@', 'returned@e0', 'panic-off@'])
})

t.test("'unknown' endpoints are not routed, not even in panic, and do not count towards it", async (t) => {
  const { health, log } = setup(3, { active: activeConfig({ initialState: 'unknown' }) })
  t.same(health.availableIndexes(), [])
  t.notOk(health.stats().panic, 'nothing known yet: no panic')
  health.onHealthChange(0, true, 'first check passed')
  t.same(health.availableIndexes(), [0])
  health.onHealthChange(1, false, 'first check failed: ECONNREFUSED')
  t.same(health.availableIndexes(), [0], '1 of 2 known is not below 0.5')
  health.onHealthChange(2, false, 'first check failed: ECONNREFUSED')
  t.same(health.availableIndexes(), [0, 1, 2], '1 of 3: panic routes the known ones')
  t.same(log(), ['healthy@e0', 'unhealthy@e1', 'unhealthy@e2', 'panic-on@'])
})

t.test('outliers are evaluated once per outlier interval, not on every tick', async (t) => {
  const { clock, events, health, log } = setup(5, { outlier: outlierConfig({ consecutive5xx: 1_000, intervalMs: 10_000 }) })
  for (let i = 0; i < 5; i++) {
    for (let k = 0; k < 200; k++) health.observe(i, k < (i === 4 ? 100 : 0) ? Outcome.HttpError : Outcome.Success, k < (i === 4 ? 100 : 0) ? 503 : 200, 5)
  }
  clock.advance(9_999)
  health.tick(clock.now())
  t.same(log(), [])
  clock.advance(1)
  health.tick(clock.now())
  t.same(log(), ['ejected@e4'])
  t.equal(events.list()[0].cause, 'success-rate')
  t.equal(events.list()[0].data.durationMs, 30_000)
  t.equal(health.stats().enforced['success-rate'], 1)
  t.match(health.describe(4, clock.now()).outlier, { requests: 200, successRate: 0.5 })
})

/** Records one sample per endpoint per second and ticks, from fromMs to endMs (ms after the start). */
function feedForecast(h: ReturnType<typeof setup>, fromMs: number, endMs: number, p99: (i: number, t: number) => number, n: number): void {
  for (let ms = fromMs; ms <= endMs; ms += 1_000) {
    h.clock.set(1_000 + ms)
    for (let i = 0; i < n; i++) {
      const v = p99(i, ms)
      h.health.recordForecastSample(i, h.clock.now(), v, Number.isNaN(v) ? Number.NaN : 0) // no traffic: neither metric
    }
    h.health.tick(h.clock.now())
  }
}

const quickForecast = forecastConfig({ intervalMs: 1_000, windowMs: 10_000, leadTimeMs: 10_000, latencyLimitMs: 250 })

t.test('a predicted failure drains the endpoint; with its samples gone it is undrained and ramps up', async (t) => {
  const h = setup(4, { forecast: quickForecast, slowStart })
  const ramp = (i: number, ms: number) => (i === 3 ? 5 + 10 * (ms / 1_000) : 20)
  feedForecast(h, 1_000, 20_000, ramp, 4)
  t.same(h.log(), ['predicted-failure@e3', 'drain@e3'])
  const predicted = h.events.list()[0]
  t.equal(predicted.cause, 'latency projected to reach 250 in 9.5 s (R² 1.00)')
  t.equal(predicted.data.metric, 'latency')
  t.same(h.health.availableIndexes(), [0, 1, 2])
  t.match(h.health.describe(3, h.clock.now()), { state: 'drained', drained: true, routed: false, forecast: { metric: 'latency' } })
  // Drained: no traffic, so no samples for e3 (NaN); the others keep reporting.
  feedForecast(h, 21_000, 40_000, (i) => (i === 3 ? Number.NaN : 20), 4)
  t.same(h.log(), ['predicted-failure@e3', 'drain@e3', 'undrain@e3'])
  t.equal(h.events.list()[2].cause, 'fewer than 5 samples in the window')
  t.same(h.health.availableIndexes(), [0, 1, 2, 3])
  const undrainedAt = h.events.list()[2].timeMs - EPOCH
  t.equal(h.health.slowStartFactor(3, undrainedAt), 0.1, 'back from a drain: slow start')
  t.equal(h.health.slowStartFactor(3, undrainedAt + 5_000), 0.5)
})

t.test('a drain that would push the upstream into panic is refused, counted, and retried when there is room', async (t) => {
  const h = setup(2, { forecast: quickForecast })
  const ramp = (_: number, ms: number) => 5 + 10 * (ms / 1_000)
  feedForecast(h, 1_000, 16_000, ramp, 2)
  t.same(h.log(), ['predicted-failure@e0', 'drain@e0', 'predicted-failure@e1'], 'e1 would leave nothing available')
  t.equal(h.health.stats().drainsRefused, 1)
  t.same(h.health.availableIndexes(), [1])
  t.notOk(h.health.stats().panic)
  // e0 recovers (flat again) while e1 keeps climbing: e0 is undrained, then e1 may drain.
  feedForecast(h, 17_000, 40_000, (i, ms) => (i === 0 ? 20 : ramp(i, ms)), 2)
  const kinds = h.log()
  t.same(kinds.slice(0, 5), ['predicted-failure@e0', 'drain@e0', 'predicted-failure@e1', 'undrain@e0', 'drain@e1'])
  t.same(h.health.availableIndexes(), [0])
})

t.test('with outlier detection and forecasts off, nothing is observed or predicted', async (t) => {
  const { clock, health, log } = setup(2, {
    outlier: outlierConfig({ enabled: false, consecutive5xx: 1 }),
    forecast: forecastConfig({ enabled: false }),
  })
  fail5xx(health, 0, 50)
  for (let k = 0; k < 30; k++) {
    clock.advance(1_000)
    health.recordForecastSample(0, clock.now(), 10 * k, 0)
    health.tick(clock.now())
  }
  t.same(log(), [])
  t.same(health.describe(0, clock.now()), {
    state: 'available',
    routed: true,
    activeHealthy: true,
    activeState: 'healthy',
    ejected: false,
    ejectionCount: 0,
    ejectionMultiplier: 0,
    ejectionRemainingMs: 0,
    slowStartFactor: 1,
    drained: false,
    manualDrain: false,
    manualEjectionUntilMs: null,
    forecast: null,
    outlier: null,
  })
  t.equal(health.stats().detected['consecutive-5xx'], 0)
})

t.test('latency trends are projected to the latency-outlier threshold: latencyMultiple × the median p99', async (t) => {
  // e3 ramps 5 + 10 ms/s, the others stay at 20 ms. A 10 s cap would not be reached within the lead time;
  // 3 × the median p99 (about 20 ms, as a log-bucket bound) is, after about 5.5 s.
  const ramp = (i: number, ms: number) => (i === 3 ? 5 + 10 * (ms / 1_000) : 20)
  const run = (latencyMultiple: number) => {
    const h = setup(4, { forecast: forecastConfig({ ...quickForecast, latencyLimitMs: 10_000 }), outlier: outlierConfig({ latencyMultiple }) })
    for (let ms = 1_000; ms <= 8_000; ms += 1_000) {
      for (let i = 0; i < 4; i++) for (let k = 0; k < 20; k++) h.health.observe(i, Outcome.Success, 200, ramp(i, ms))
      h.clock.set(1_000 + ms)
      h.health.tick(h.clock.now())
    }
    return h
  }
  const h = run(3)
  t.same(h.log(), ['predicted-failure@e3', 'drain@e3'])
  const limit = Number(h.events.list()[0].data.limit)
  t.ok(limit >= 60 && limit <= 66, `projected towards 3 × the ~20 ms median: ${limit} ms`)
  t.same(run(100).log(), [], 'a higher multiple puts the threshold (2 s) out of reach within the lead time')
})

t.test("the forecaster's undrain does not end a manual drain of the same endpoint", async (t) => {
  const h = setup(4, { forecast: quickForecast, slowStart })
  const ramp = (i: number, ms: number) => (i === 3 ? 5 + 10 * (ms / 1_000) : 20)
  feedForecast(h, 1_000, 20_000, ramp, 4)
  t.ok(h.health.drainManually(3, 'ops', 'hold it'), 'an operator drains it too')
  feedForecast(h, 21_000, 40_000, (i) => (i === 3 ? Number.NaN : 20), 4)
  t.same(h.log(), ['predicted-failure@e3', 'drain@e3', 'drain@e3', 'undrain@e3'], 'the prediction is over')
  t.match(h.health.describe(3, h.clock.now()), { state: 'drained', manualDrain: true, routed: false }, 'the manual drain holds')
  t.same(h.health.availableIndexes(), [0, 1, 2])
  h.health.undrainManually(3, 'ops', '')
  t.same(h.health.availableIndexes(), [0, 1, 2, 3])
})
