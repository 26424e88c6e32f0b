import t from 'tap'
import { EjectionManager, type EjectionOptions } from '../../../src/health/ejection-manager.js'

const BASE = 30_000
function manager(n: number, overrides: Partial<EjectionOptions> = {}): EjectionManager {
  return new EjectionManager(n, { baseEjectionMs: BASE, maxEjectionMs: 300_000, maxEjectionFraction: 1, decayMs: BASE, ...overrides })
}

t.test('the n-th ejection in a row lasts base × n, capped at max', async (t) => {
  const m = manager(1)
  let now = 0
  const durations: number[] = []
  for (let k = 0; k < 12; k++) {
    t.equal(m.eject(0, now), 'ejected')
    durations.push(m.remainingMs(0, now))
    now += m.remainingMs(0, now)
    t.same(m.tick(now), [0], 'returned exactly when the time is up')
  }
  t.same(durations, [30, 60, 90, 120, 150, 180, 210, 240, 270, 300, 300, 300].map((s) => s * 1000))
  t.equal(m.timesEjected(0), 10, 'the multiplier stops at ceil(max / base)')
  t.equal(m.totalEjections(0), 12)
})

t.test('release ends an ejection early; the multiplier stays and decays from the release', async (t) => {
  const m = manager(2)
  m.eject(0, 0)
  t.equal(m.timesEjected(0), 1)
  t.ok(m.release(0, 5_000))
  t.notOk(m.isEjected(0))
  t.equal(m.ejectedCount(), 0)
  t.notOk(m.release(0, 6_000), 'not ejected: nothing to release')
  t.notOk(m.release(1, 6_000))
  t.same(m.tick(34_999), [], 'a released endpoint does not return a second time')
  t.equal(m.timesEjected(0), 1, 'decay counts from the release at 5 s, not from the planned return at 30 s')
  m.tick(35_000)
  t.equal(m.timesEjected(0), 0, 'one decay period (30 s) after the release')
})

t.test('not returned a millisecond early; remainingMs counts down', async (t) => {
  const m = manager(2)
  m.eject(1, 1_000)
  t.ok(m.isEjected(1))
  t.notOk(m.isEjected(0))
  t.equal(m.remainingMs(1, 21_000), 10_000)
  t.same(m.tick(30_999), [])
  t.same(m.tick(31_000), [1])
  t.notOk(m.isEjected(1))
  t.equal(m.remainingMs(1, 31_000), 0)
  t.equal(m.eject(1, 40_000), 'ejected')
  t.equal(m.eject(1, 40_001), 'already-ejected', 'a second request does not extend or count')
  t.equal(m.remainingMs(1, 40_000), 60_000)
  t.equal(m.totalEjections(1), 2)
})

t.test('the multiplier decays by one per base period in service, exactly, whatever the tick rate', async (t) => {
  const m = manager(1)
  let now = 0
  for (let k = 0; k < 3; k++) {
    m.eject(0, now)
    now += m.remainingMs(0, now)
    m.tick(now)
  }
  // Three ejections: 30 + 60 + 90 s; back in service at 180 s with multiplier 3.
  t.equal(now, 180_000)
  t.equal(m.timesEjected(0), 3)
  m.tick(180_000 + 29_999)
  t.equal(m.timesEjected(0), 3, 'not before a full period')
  m.tick(180_000 + 30_000)
  t.equal(m.timesEjected(0), 2)
  m.tick(180_000 + 59_999)
  t.equal(m.timesEjected(0), 2, 'the remainder carries over: the next step is at 60 s, not 30 s after the last tick')
  m.tick(180_000 + 60_000)
  t.equal(m.timesEjected(0), 1)
  // An ejection without a tick in between still decays first: at 180 + 90 s the multiplier is 0 → 30 s.
  t.equal(m.eject(0, 180_000 + 95_000), 'ejected')
  t.equal(m.remainingMs(0, 180_000 + 95_000), 30_000)
  t.equal(m.timesEjected(0), 1)
})

t.test('a multiplier never decays while ejected', async (t) => {
  const m = manager(1, { maxEjectionMs: 10_000_000 })
  m.eject(0, 0)
  m.tick(20_000)
  t.equal(m.timesEjected(0), 1)
  t.same(m.tick(30_000), [0])
  m.eject(0, 30_000) // immediately again: 2 × 30 s
  t.equal(m.remainingMs(0, 30_000), 60_000)
})

t.test('max ejection percent: floor(fraction × N) at once, but always one; refusals counted as overflow', async (t) => {
  const ten = manager(10, { maxEjectionFraction: 0.1 })
  t.equal(ten.maxEjectedCount(), 1)
  t.equal(ten.eject(0, 0), 'ejected')
  t.equal(ten.eject(1, 0), 'overflow')
  t.equal(ten.eject(2, 0), 'overflow')
  t.equal(ten.overflowCount(), 2)
  t.equal(ten.ejectedCount(), 1)
  ten.tick(30_000)
  t.equal(ten.eject(1, 30_000), 'ejected', 'room again once the first returned')

  const three = manager(3, { maxEjectionFraction: 0.1 })
  t.equal(three.maxEjectedCount(), 0, '10 % of 3 rounds down to none…')
  t.equal(three.eject(2, 0), 'ejected', '…but the first ejection is always allowed')
  t.equal(three.eject(1, 0), 'overflow')

  const hundred = manager(100, { maxEjectionFraction: 0.29 })
  t.equal(hundred.maxEjectedCount(), 29, '0.29 × 100 is 28.999999999999996 in floating point: still 29')
  for (let i = 0; i < 29; i++) t.equal(hundred.eject(i, 0), 'ejected')
  t.equal(hundred.eject(29, 0), 'overflow')

  const none = manager(4, { maxEjectionFraction: 0 })
  t.equal(none.eject(0, 0), 'ejected', 'even 0 % allows one')
  t.equal(none.eject(1, 0), 'overflow')
})
