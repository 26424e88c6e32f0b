import t from 'tap'
import { EventLog, type HealthEvent, type HealthEventKind } from '../../../src/health/event-log.js'

function event(timeMs: number, kind: HealthEventKind = 'ejected', upstream = 'api'): HealthEvent {
  return { timeMs, upstream, endpoint: `e${timeMs}`, kind, cause: 'test', data: {} }
}

t.test('list() returns events oldest first, filtered by time and limited to the newest', async (t) => {
  const log = new EventLog(10)
  for (const ms of [100, 200, 300, 400]) log.push(event(ms))
  t.same(log.list().map((e) => e.timeMs), [100, 200, 300, 400])
  t.same(log.list(250).map((e) => e.timeMs), [300, 400], 'sinceMs is inclusive of later events only')
  t.same(log.list(200).map((e) => e.timeMs), [200, 300, 400], 'an event at exactly sinceMs is included')
  t.same(log.list(undefined, 2).map((e) => e.timeMs), [300, 400], 'limit keeps the newest')
  t.same(log.list(0, 10).length, 4)
})

t.test('the ring keeps the newest `capacity` events', async (t) => {
  const log = new EventLog(3)
  for (const ms of [1, 2, 3, 4, 5]) log.push(event(ms))
  t.same(log.list().map((e) => e.timeMs), [3, 4, 5])
  t.throws(() => new EventLog(0), RangeError)
})

t.test('counts per kind never reset when the ring wraps, per upstream or in total', async (t) => {
  const log = new EventLog(2)
  log.push(event(1, 'ejected', 'api'))
  log.push(event(2, 'ejected', 'api'))
  log.push(event(3, 'returned', 'api'))
  log.push(event(4, 'panic-on', 'web'))
  t.equal(log.counts().ejected, 2)
  t.equal(log.counts().returned, 1)
  t.equal(log.counts()['panic-on'], 1)
  t.equal(log.counts().drain, 0, 'every kind is present')
  t.equal(log.counts('web').ejected, 0)
  t.equal(log.counts('web')['panic-on'], 1)
  t.same(log.upstreams(), ['api', 'web'])
})

t.test('the subscriber sees every event as it is pushed', async (t) => {
  const seen: HealthEvent[] = []
  const log = new EventLog(1, (e) => seen.push(e))
  log.push(event(1))
  log.push(event(2))
  t.same(seen.map((e) => e.timeMs), [1, 2], 'even those the ring has already dropped')
})
