import t from 'tap'
import type { TryRecord } from '../../../bench/overload/open-loop.js'
import { summarise } from '../../../bench/overload/summary.js'

/** Ten requests a second for `seconds`, class by index (one high, six normal, three low), answered as `answer(second, i)` says. */
function tries(seconds: number, answer: (s: number, i: number) => { status: number; latencyMs: number }): TryRecord[] {
  const out: TryRecord[] = []
  for (let s = 0; s < seconds; s++) {
    for (let i = 0; i < 10; i++) {
      const dueMs = s * 1000 + i * 100
      const { status, latencyMs } = answer(s, i)
      out.push({ cls: i === 0 ? 0 : i <= 6 ? 1 : 2, storm: false, origin: s * 10 + i, dueMs, endMs: dueMs + latencyMs, status })
    }
  }
  return out
}

const profile = { capacityRps: 5, stepUpS: 4, stepDownS: 8, warmupS: 1 }

t.test('goodput, accepted p99, sheds by class and recovery from synthetic tries', async (t) => {
  // Steps 4..7: the low class is shed, the rest answered in 30 ms; seconds 8 and 9 still slow (200 ms); normal from 10.
  const load = tries(14, (s, i) => {
    if (s >= 4 && s < 8) return i >= 7 ? { status: 503, latencyMs: 1 } : { status: 200, latencyMs: 30 }
    if (s === 8 || s === 9) return { status: 200, latencyMs: 200 }
    return { status: 200, latencyMs: 10 }
  })
  const m = summarise('on', 'protection on', { tries: load, durationS: 14 }, profile, [], null)
  t.equal(m.unloadedP99Ms, 10)
  t.equal(m.goodputRps, 7, 'seven 200s a second in the step')
  t.equal(m.goodputOfCapacity, 1.4)
  t.equal(m.acceptedP99Ms, 30)
  t.same(m.shedPercent, [0, 0, 100])
  t.same(m.successPercent, [100, 100, 0])
  t.equal(m.recoveryS, 2, 'seconds 8 and 9 over 1.5 × the unloaded p99: normal from 10, 2 s after the step down')
})

t.test('never back to normal: recovery is null', async (t) => {
  const load = tries(12, (s) => (s >= 4 ? { status: 0, latencyMs: 2000 } : { status: 200, latencyMs: 10 }))
  t.equal(summarise('off', 'protection off', { tries: load, durationS: 12 }, profile, [], null).recoveryS, null)
})
