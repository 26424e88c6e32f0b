import t from 'tap'
import { SlowStart } from '../../../src/health/slow-start.js'

const WINDOW = 10_000
const CLOCK = { mode: 'clock' as const, responses: 20 }
const OBSERVED = { mode: 'observed' as const, responses: 20, windowMs: WINDOW, aggression: 1, minFraction: 0.1 }

t.test('linear ramp: max(minFraction, t / window), then 1', async (t) => {
  const s = new SlowStart(2, { ...CLOCK, windowMs: WINDOW, aggression: 1, minFraction: 0.1 })
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
  const s = new SlowStart(1, { ...CLOCK, windowMs: WINDOW, aggression: 2, minFraction: 0 })
  s.begin(0, 0)
  t.equal(s.factor(0, 2_500), 0.5, '√0.25')
  t.equal(s.factor(0, 6_400), 0.8, '√0.64')
  const slow = new SlowStart(1, { ...CLOCK, windowMs: WINDOW, aggression: 0.5, minFraction: 0 })
  slow.begin(0, 0)
  t.equal(slow.factor(0, 5_000), 0.25, '0.5²: aggression below 1 ramps slowly at first')
})

t.test('begin() again restarts the ramp; window 0 disables slow start', async (t) => {
  const s = new SlowStart(1, { ...CLOCK, windowMs: WINDOW, aggression: 1, minFraction: 0.1 })
  s.begin(0, 0)
  s.begin(0, 8_000)
  t.equal(s.factor(0, 13_000), 0.5)
  const off = new SlowStart(1, { ...CLOCK, windowMs: 0, aggression: 1, minFraction: 0.1 })
  off.begin(0, 0)
  t.equal(off.factor(0, 0), 1)
})

t.test('observed: good answers earn the full share, whatever the clock says', async (t) => {
  const s = new SlowStart(1, OBSERVED)
  s.begin(0, 0)
  t.equal(s.factor(0, 0), 0.1, 'the floor at the start')
  for (let k = 0; k < 10; k++) s.observe(0, true)
  t.equal(s.factor(0, 500), 0.5, '10 of 20 good answers: half the share, ahead of the clock (0.05)')
  for (let k = 0; k < 10; k++) s.observe(0, true)
  t.equal(s.factor(0, 600), 1, '20 good answers: full share after 0.6 s of a 10 s window')
  s.observe(0, false)
  t.equal(s.factor(0, 700), 1, 'the ramp is over: a later bad answer is the outlier rules\' business')
})

t.test('observed: a bad answer halves the progress and ends the clock ramp; slow answers stay throttled', async (t) => {
  const s = new SlowStart(1, OBSERVED)
  s.begin(0, 0)
  for (let k = 0; k < 12; k++) s.observe(0, true)
  s.observe(0, false)
  t.equal(s.factor(0, 1_000), 0.3, '0.6 halved')
  t.equal(s.factor(0, 9_000), 0.3, 'no clock ramp after a bad answer (the clock alone would say 0.9)')
  t.equal(s.factor(0, 60_000), 0.3, 'still throttled after the window: it has not answered well')
  for (let k = 0; k < 3; k++) s.observe(0, false)
  t.equal(s.factor(0, 60_000), 0.1, 'the floor holds')
  for (let k = 0; k < 20; k++) s.observe(0, true)
  t.equal(s.factor(0, 60_000), 1, 'good answers again earn the share back')
})

t.test('observed: a clean ramp on a quiet upstream still ends with the window', async (t) => {
  const s = new SlowStart(1, OBSERVED)
  s.begin(0, 0)
  s.observe(0, true)
  t.equal(s.factor(0, 5_000), 0.5, 'the clock curve, above the progress of one answer (0.05)')
  t.equal(s.factor(0, WINDOW), 1)
})

t.test('observed: begin() starts afresh, and a reload carries the progress over', async (t) => {
  const s = new SlowStart(2, OBSERVED)
  s.begin(1, 0)
  s.observe(1, false)
  for (let k = 0; k < 8; k++) s.observe(1, true)
  const next = new SlowStart(3, OBSERVED)
  next.adopt(s, Int32Array.from([1, -1, 0]))
  t.equal(next.factor(0, 9_000), s.factor(1, 9_000), 'endpoint 1 is now 0, with its progress and its bad answer')
  t.equal(next.factor(1, 9_000), 1, 'a new endpoint has not begun')
  s.begin(1, 10_000)
  t.equal(s.factor(1, 10_000), 0.1, 'begin() again: progress and the bad answer are forgotten')
  t.equal(s.factor(1, 15_000), 0.5)
})
