import t from 'tap'
import { ModelVersions, type ModelVersion, type VersionInput } from '../../../src/model/model-versions.js'
import { ManualClock } from '../../../src/util/clock.js'

function input(k: number, reason: VersionInput['reason'] = 'refit'): VersionInput {
  return { sampleCount: 100 * k, heldOutError: k / 10, reason, coefficients: { a: [k, 1], b: [k, 2] } }
}

/** The fields that tell versions apart in assertions. */
function summary(v: ModelVersion | null): unknown {
  if (v === null) return null
  return { id: v.id, reason: v.reason, parentId: v.parentId, restoredId: v.restoredId, a: v.coefficients.a }
}

t.test('record assigns monotonic ids and injected wall-clock times', async (t) => {
  const clock = new ManualClock(1_700_000_000_000)
  const versions = new ModelVersions({ clock })
  t.equal(versions.current(), null)
  const first = versions.record(input(1))
  clock.advance(60_000)
  const second = versions.record(input(2, 'drift'))
  t.same(
    [first, second].map((v) => [v.id, v.timeMs, v.reason, v.parentId, v.sampleCount, v.heldOutError]),
    [
      [1, 1_700_000_000_000, 'refit', null, 100, 0.1],
      [2, 1_700_000_060_000, 'drift', 1, 200, 0.2],
    ],
  )
  t.equal(versions.current(), second)
})

t.test('history is bounded, oldest dropped first', async (t) => {
  const versions = new ModelVersions({ clock: new ManualClock(), capacity: 3 })
  for (let k = 1; k <= 5; k++) versions.record(input(k))
  t.same(
    versions.list().map((v) => v.id),
    [3, 4, 5],
  )
})

t.test('rollback walks back through parents and records each step', async (t) => {
  const versions = new ModelVersions({ clock: new ManualClock() })
  for (let k = 1; k <= 3; k++) versions.record(input(k))
  const steps = [versions.rollback(), versions.rollback(), versions.rollback()]
  t.same(steps.map(summary), [
    { id: 4, reason: 'rollback', parentId: 1, restoredId: 2, a: [2, 1] },
    { id: 5, reason: 'rollback', parentId: null, restoredId: 1, a: [1, 1] },
    null,
  ])
  t.same(summary(versions.current()), summary(steps[1]), 'a refused rollback changes nothing')
  t.equal(versions.current()?.sampleCount, 100, 'the copy carries the restored fit metrics')
  t.same(
    versions.list().map((v) => v.id),
    [1, 2, 3, 4, 5],
  )
})

t.test('rollback is null with no parent, or when the parent has left the history', async (t) => {
  const empty = new ModelVersions({ clock: new ManualClock() })
  t.equal(empty.rollback(), null, 'empty')
  empty.record(input(1, 'loaded'))
  t.equal(empty.rollback(), null, 'single version')

  const short = new ModelVersions({ clock: new ManualClock(), capacity: 2 })
  for (let k = 1; k <= 3; k++) short.record(input(k))
  t.equal(short.rollback()?.restoredId, 2)
  t.equal(short.rollback(), null, 'version 1 was dropped')
})

t.test('versions are frozen copies', async (t) => {
  const versions = new ModelVersions({ clock: new ManualClock() })
  const source = input(1)
  const coefficients = { a: [1, 1] }
  const recorded = versions.record({ ...source, coefficients })
  coefficients.a[0] = 99
  t.same(recorded.coefficients.a, [1, 1], 'caller mutation does not reach history')
  t.ok(Object.isFrozen(recorded) && Object.isFrozen(recorded.coefficients) && Object.isFrozen(recorded.coefficients.a))
  const listed = versions.list() as ModelVersion[]
  listed.pop()
  t.equal(versions.list().length, 1, 'list() is a copy')
})

t.test('an endpoint id of "__proto__" stays a plain key', async (t) => {
  const versions = new ModelVersions({ clock: new ManualClock() })
  const coefficients = JSON.parse('{"__proto__": [1, 2]}') as Record<string, number[]>
  const v = versions.record({ ...input(1), coefficients })
  t.same(Object.keys(v.coefficients), ['__proto__'])
  t.same(Object.getPrototypeOf(v.coefficients), Object.prototype)
})

t.test('restore keeps ids monotonic across restarts', async (t) => {
  const before = new ModelVersions({ clock: new ManualClock() })
  for (let k = 1; k <= 4; k++) before.record(input(k))
  const after = new ModelVersions({ clock: new ManualClock(), capacity: 3 })
  after.restore(JSON.parse(JSON.stringify(before.list())))
  t.same(
    after.list().map((v) => v.id),
    [2, 3, 4],
    'trimmed to capacity',
  )
  t.equal(after.record(input(5, 'loaded')).id, 5)
  t.equal(after.rollback()?.restoredId, 4)
})

t.test('constructor rejects a bad capacity', async (t) => {
  t.throws(() => new ModelVersions({ clock: new ManualClock(), capacity: 0 }), RangeError)
})

t.test('rollback to a named version: that one becomes current; the current one or an unknown id changes nothing', async (t) => {
  const versions = new ModelVersions({ clock: new ManualClock(), capacity: 10 })
  for (let k = 1; k <= 4; k++) versions.record(input(k))
  t.same(summary(versions.rollback(2)), { id: 5, reason: 'rollback', parentId: 1, restoredId: 2, a: [2, 1] })
  t.equal(versions.rollback(5), null, 'already current')
  t.equal(versions.rollback(99), null, 'not in the history')
  t.equal(versions.current()!.id, 5)
})
