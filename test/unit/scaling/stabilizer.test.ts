import t from 'tap'
import { Stabilizer } from '../../../src/scaling/stabilizer.js'

const WINDOW_MS = 300_000

t.test('up at once, down only after a whole window asked for less', async (t) => {
  const s = new Stabilizer(WINDOW_MS, 0.1)
  t.equal(s.update(3.5, 4, 0), true, 'the first recommendation is a change')
  t.equal(s.published, 4)
  t.equal(s.update(6.2, 7, 1_000), true)
  t.equal(s.published, 7, 'up at once')
  t.equal(s.update(2.5, 3, 2_000), false)
  t.equal(s.published, 7, 'down waits')
  for (let ms = 3_000; ms <= 1_000 + WINDOW_MS; ms += 1_000) s.update(2.5, 3, ms)
  t.equal(s.published, 7, 'still within the window of the 7')
  t.equal(s.update(2.5, 3, 2_000 + WINDOW_MS), true)
  t.equal(s.published, 3, 'a whole window of 3')
})

t.test('within the tolerance nothing changes', async (t) => {
  const s = new Stabilizer(0, 0.1)
  s.update(5, 5, 0)
  t.equal(s.update(5.4, 6, 1_000), false, '5.4 is within 10 % of 5')
  t.equal(s.published, 5)
  t.equal(s.update(5.6, 6, 2_000), true, '5.6 is not')
  t.equal(s.published, 6)
  t.equal(s.update(5.5, 6, 3_000), false)
  t.equal(s.update(4.1, 5, 4_000), true, 'down at once with no window')
  t.equal(s.published, 5)
})
