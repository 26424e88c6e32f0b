import t from 'tap'
import { SlowStart } from '../../../src/health/slow-start.js'

const WINDOW = 10_000

t.test('linear ramp: max(minFraction, t / window), then 1', async (t) => {
  const s = new SlowStart(2, { windowMs: WINDOW, aggression: 1, minFraction: 0.1 })
  t.equal(s.factor(0, 5_000), 1, 'an endpoint that never began is at full weight')
  s.begin(0, 1_000)
  const at = (ms: number) => s.factor(0, 1_000 + ms)
  t.equal(at(0), 0.1, 'floor at the start')
  t.equal(at(500), 0.1, '0.05 is below the floor')
  t.equal(at(1_000), 0.1)
  t.equal(at(2_500), 0.25)
  t.equal(at(5_000), 0.5)
  t.equal(at(9_999), 0.9999)
  t.equal(at(10_000), 1, 'the window is over')
  t.equal(s.factor(1, 3_000), 1, 'endpoints are independent')
})

t.test('aggression bends the curve: (t / window)^(1 / aggression)', async (t) => {
  const s = new SlowStart(1, { windowMs: WINDOW, aggression: 2, minFraction: 0 })
  s.begin(0, 0)
  t.equal(s.factor(0, 2_500), 0.5, '√0.25')
  t.equal(s.factor(0, 6_400), 0.8, '√0.64')
  const slow = new SlowStart(1, { windowMs: WINDOW, aggression: 0.5, minFraction: 0 })
  slow.begin(0, 0)
  t.equal(slow.factor(0, 5_000), 0.25, '0.5²: aggression below 1 ramps slowly at first')
})

t.test('begin() again restarts the ramp; window 0 disables slow start', async (t) => {
  const s = new SlowStart(1, { windowMs: WINDOW, aggression: 1, minFraction: 0.1 })
  s.begin(0, 0)
  s.begin(0, 8_000)
  t.equal(s.factor(0, 13_000), 0.5)
  const off = new SlowStart(1, { windowMs: 0, aggression: 1, minFraction: 0.1 })
  off.begin(0, 0)
  t.equal(off.factor(0, 0), 1)
})
