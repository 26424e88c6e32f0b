import t from 'tap'
import { RobustDetector, Side, Transition, type DetectorOptions } from '../../../src/util/robust-detector.js'

// The parts of the shared baseline that storm detection added (anomaly detection's are covered through
// test/unit/anomaly/): the exit band, a non-alarming sample while active, adopt.
const OPTIONS: DetectorOptions = { alpha: 0.1, bandWidth: 4, minAbsolute: 4, minRelative: 0.4, warmupSamples: 5, enterAfter: 2, exitAfter: 2, relearnAfter: 100, exitBand: 0.5, sides: Side.High }

/** The transitions of series 0 for `values`, each with mayAlarm. */
function steps(d: RobustDetector, values: readonly number[], mayAlarm = true): number[] {
  return values.map((x) => d.step(0, x, mayAlarm))
}

t.test('an anomaly stays active above exitBand × the band and ends inside it', async (t) => {
  const d = new RobustDetector(1, OPTIONS)
  steps(d, Array(20).fill(100)) // level 100, deviation 0: band 100 ± 40, exit band 100 ± 20
  t.same(steps(d, [130, 130]), [0, 0], '130 is inside the band: nothing starts')
  t.same(steps(d, [200, 200]), [0, Transition.Start])
  t.same(steps(d, [130, 130, 130]), [0, 0, 0], '130 is outside half the band: still active')
  t.same(steps(d, [115, 115]), [0, Transition.End], 'inside half the band twice: over')
  const fresh = new RobustDetector(1, OPTIONS)
  steps(fresh, [...Array(20).fill(100), 200, 200, 130])
  t.same([fresh.expectedLow(0), fresh.expectedHigh(0)], [60, 140], 'while active, the band reported is the whole band')
})

t.test('a sample that may not alarm is learnt while normal and counts as inside while active', async (t) => {
  const d = new RobustDetector(1, OPTIONS)
  steps(d, Array(20).fill(100))
  t.same(steps(d, Array(50).fill(300), false), Array(50).fill(0), 'never a start')
  t.ok(d.expectedHigh(0) > 300, 'and the baseline moved to it (Huber-clipped steps)')
  const e = new RobustDetector(1, OPTIONS)
  steps(e, Array(20).fill(100))
  steps(e, [200, 200])
  t.same(steps(e, [200, 200], false), [0, Transition.End], 'too little behind it: calm')
})

t.test('adopt takes over every series, growing to the previous size', async (t) => {
  const old = new RobustDetector(2, OPTIONS)
  for (let k = 0; k < 20; k++) old.step(1, 100)
  old.step(1, 200)
  old.step(1, 200)
  const next = new RobustDetector(1, OPTIONS)
  next.adopt(old)
  t.equal(next.size, 2)
  t.equal(next.active(1), Side.High, 'the anomaly carries over')
  t.same([next.step(1, 100), next.step(1, 100)], [0, Transition.End], 'and ends against the old baseline')
  t.throws(() => new RobustDetector(1, { ...OPTIONS, exitBand: 0 }), RangeError)
})
