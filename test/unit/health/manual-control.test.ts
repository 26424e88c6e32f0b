import t from 'tap'
import type { HealthConfig } from '../../../src/config/types.js'
import { EventLog } from '../../../src/health/event-log.js'
import { ClusterHealth } from '../../../src/health/cluster-health.js'
import { ManualClock } from '../../../src/util/clock.js'
import { Outcome } from '../../../src/util/outcome.js'
import { activeConfig, healthConfig, outlierConfig } from './fixtures.js'

/* The operator's hand on an upstream's health: manual ejections, drains and what may not undo them. */

const EPOCH = 1_700_000_000_000

function setup(n: number, overrides: Partial<HealthConfig> = {}) {
  const clock = new ManualClock(1_000)
  const events = new EventLog()
  const ids = Array.from({ length: n }, (_, i) => `e${i}`)
  const health = new ClusterHealth('api', ids, healthConfig({ outlier: outlierConfig({ maxEjectionFraction: 0.5, consecutiveGatewayErrors: 3 }), ...overrides }), {
    clock,
    wallClock: () => EPOCH + clock.now(),
    events,
    onAvailabilityChange: null,
  })
  const log = () => events.list().map((e) => `${e.kind}@${e.endpoint}`)
  return { clock, events, health, log, ids }
}

t.test('a manual ejection holds for its duration: passing active checks do not end it, its time does', async (t) => {
  const { clock, events, health, log } = setup(4, { active: activeConfig({ rise: 1 }) })
  for (let k = 0; k < 3; k++) health.observe(0, Outcome.ConnectFailure, 0, 1) // a gateway-error ejection first
  t.ok(health.wantsFastChecks(0), 'a gateway-error ejection is watched for early release')
  t.equal(health.ejectManually(0, 60_000, false, 'ops', 'deploying'), 'extended')
  t.notOk(health.wantsFastChecks(0), 'a manual ejection is not watched: nothing ends it early')
  health.onCheckResult(0, true)
  health.onCheckResult(0, true)
  t.same(log(), ['ejected@e0', 'ejected@e0'], 'passing checks returned nothing')
  t.same(events.list()[1].data, { actor: 'ops', manual: 1, durationMs: 60_000, limitOverridden: 0 })
  t.equal(events.list()[1].cause, 'deploying')
  t.equal(health.describe(0, clock.now()).manualEjectionUntilMs, EPOCH + 1_000 + 60_000, 'wall-clock end of the manual ejection')
  clock.advance(59_000)
  health.tick(clock.now())
  t.equal(health.describe(0, clock.now()).state, 'ejected')
  clock.advance(1_000)
  health.tick(clock.now())
  t.same(log().slice(2), ['returned@e0'], 'returns at its time')
  t.equal(events.list()[2].cause, 'manual ejection time elapsed')
  t.notOk('actor' in events.list()[2].data, "Baton's doing, not the operator's: audited as baton")
  t.equal(health.describe(0, clock.now()).manualEjectionUntilMs, null)
})

t.test('recovery probes do not end a manual ejection; uneject ends any ejection and says who', async (t) => {
  const { health, events, log } = setup(4) // no active checks: recovery probes apply
  for (let k = 0; k < 3; k++) health.observe(1, Outcome.ConnectFailure, 0, 1)
  t.ok(health.wantsRecoveryProbe(1))
  health.ejectManually(1, 30_000, false, 'ops', '')
  t.notOk(health.wantsRecoveryProbe(1), 'the prober stops: a manual ejection is not its to end')
  t.notOk(health.onRecoveryProbe(1, true, false, 'GET /up answered 200'))
  t.ok(health.unejectManually(1, 'ops', 'done'))
  t.notOk(health.unejectManually(1, 'ops', 'done'), 'nothing to end the second time')
  t.same(log(), ['ejected@e1', 'ejected@e1', 'returned@e1'])
  t.match(events.list()[2].data, { actor: 'ops', manual: 1 })
  t.equal(health.describe(1, 0).state, 'available')
})

t.test('a manual ejection respects maxEjectionFraction unless forced; a manual one never shortens Baton’s', async (t) => {
  const { clock, health } = setup(4) // 50 %: 2 of 4
  t.equal(health.ejectManually(0, 10_000, false, 'ops', ''), 'ejected')
  t.equal(health.ejectManually(1, 10_000, false, 'ops', ''), 'ejected')
  t.equal(health.ejectManually(2, 10_000, false, 'ops', ''), 'overflow', 'a third is over the cap')
  t.equal(health.stats().ejectionOverflow, 0, "an operator's refusal is not counted as Baton's overflow")
  t.equal(health.ejectManually(2, 10_000, true, 'ops', ''), 'overridden', 'force ejects anyway')
  t.same(health.availableIndexes(), [3])
  t.equal(health.ejectManually(0, 1_000, false, 'ops', ''), 'extended')
  t.equal(health.describe(0, clock.now()).ejectionRemainingMs, 10_000, 'the later end stands')
})

t.test('a manual drain holds until undrained by hand; undrain does not end an ejection', async (t) => {
  const { health, log } = setup(4, { outlier: outlierConfig({ consecutive5xx: 2 }) })
  t.ok(health.drainManually(0, 'ops', ''))
  t.notOk(health.drainManually(0, 'ops', ''), 'already drained: nothing changes')
  t.match(health.describe(0, 0), { state: 'drained', drained: true, manualDrain: true, routed: false })
  health.observe(1, Outcome.HttpError, 500, 1)
  health.observe(1, Outcome.HttpError, 500, 1)
  health.drainManually(1, 'ops', '')
  t.ok(health.undrainManually(1, 'ops', ''))
  t.match(health.describe(1, 0), { state: 'ejected', manualDrain: false }, 'the 5xx ejection stands')
  t.notOk(health.undrainManually(1, 'ops', ''), 'no manual drain left')
  t.same(log(), ['drain@e0', 'ejected@e1', 'drain@e1', 'undrain@e1'])
})

t.test('endpoints held out by an operator are out of panic too: draining is like removing them', async (t) => {
  const { health } = setup(3) // panic below 50 % of known
  health.drainManually(0, 'ops', '')
  health.drainManually(1, 'ops', '')
  t.same(health.availableIndexes(), [2], 'only the one left: no panic routing to the drained pair')
  t.equal(health.stats().panic, false)
})

t.test('a reload carries manual drains and ejections with the endpoints that stay', async (t) => {
  const { health, clock, events } = setup(3)
  health.drainManually(0, 'ops', '')
  health.ejectManually(2, 30_000, false, 'ops', '')
  const next = new ClusterHealth('api', ['e2', 'e0', 'new'], healthConfig(), { clock, wallClock: () => EPOCH + clock.now(), events, onAvailabilityChange: null })
  next.adopt(health, Int32Array.from([2, 0, -1]))
  t.match(next.describe(0, clock.now()), { state: 'ejected', ejectionRemainingMs: 30_000 })
  t.ok(next.describe(0, clock.now()).manualEjectionUntilMs !== null, 'still manual: still not released early')
  t.match(next.describe(1, clock.now()), { state: 'drained', manualDrain: true })
  t.same(next.availableIndexes(), [2])
})
