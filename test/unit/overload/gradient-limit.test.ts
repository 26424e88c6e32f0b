import t from 'tap'
import { DEFAULT_OVERLOAD } from '../../../src/config/build-admission.js'
import type { GradientConfig } from '../../../src/config/types.js'
import { GradientLimit } from '../../../src/overload/gradient-limit.js'

const BASE: GradientConfig = { ...DEFAULT_OVERLOAD.concurrency!, minWindowSamples: 1 }

/**
 * One 100 ms window of `samples` latencies of `rttMs` with `inflight` admitted, the last one closing it at `nowMs`
 * (the others 50 ms earlier, inside the window).
 */
function window(limit: GradientLimit, nowMs: number, rttMs: number, inflight: number, samples = 10): void {
  for (let i = 1; i < samples; i++) limit.sample(rttMs, inflight, false, nowMs - 50)
  limit.sample(rttMs, inflight, false, nowMs)
}

t.test('defaults: Gradient2 as Netflix ships it, windows of 100 ms', async (t) => {
  t.same(DEFAULT_OVERLOAD.concurrency, { initialLimit: 100, minLimit: 10, maxLimit: 1000, smoothing: 0.2, tolerance: 1.5, longWindow: 600, windowMs: 100, minWindowSamples: 10 })
})

t.test('the arithmetic of one window: gradient, growth term, smoothing', async (t) => {
  const cases = [
    // First window: long = short, gradient = min(1, 1.5) = 1: 100 × 1 + √100 = 110, smoothed 100 × 0.8 + 110 × 0.2 = 102.
    { name: 'flat latency grows by 0.2 × √limit', rtts: [10], expected: 102 },
    // long = 10 then 10 + (2/601)(40 − 10) = 10.0998; gradient = max(0.5, 1.5 × 10.0998 / 40) = 0.5;
    // 102 × 0.5 + √102 = 61.0995, a cut: not smoothed.
    { name: 'latency × 4: the gradient floors at 0.5, the cut is at once', rtts: [10, 40], expected: 61.0995 },
    // long = 10.0499 (α × 15 added), gradient = 1.5 × 10.0499 / 25 = 0.60299; 102 × 0.60299 + 10.0995 = 71.6045.
    { name: 'latency × 2.5: a gradient between 0.5 and 1', rtts: [10, 25], expected: 71.6045 },
    // long = 10.0166, gradient = 1.5 × 10.0166 / 14 = 1 (clamped): 102 + √102 = 112.0995, smoothed 81.6 + 22.4199 = 104.0199.
    { name: 'latency × 1.4, within the tolerance: still growth, smoothed', rtts: [10, 14], expected: 104.0199 },
  ]
  for (const c of cases) {
    const limit = new GradientLimit(BASE, 0)
    let now = 0
    for (const rtt of c.rtts) {
      now += 100
      window(limit, now, rtt, 100)
    }
    t.ok(Math.abs(limit.limit - c.expected) < 1e-3, `${c.name}: ${limit.limit.toFixed(4)} ≈ ${c.expected}`)
  }
})

t.test('no gradient step while under-used (most in flight < limit / 2), and no update before the window is over', async (t) => {
  const limit = new GradientLimit(BASE, 0)
  t.equal(limit.sample(40, 49, false, 50), false, 'half a window: no update')
  t.equal(limit.limit, 100)
  window(limit, 100, 40, 49)
  t.equal(limit.limit, 98, '49 in flight of 100: the latency says nothing about the limit, which comes down to 2 × the peak')
  t.equal(limit.shortRttMs, 40, 'the window was still measured')
  window(limit, 200, 400, 40)
  t.ok(Math.abs(limit.limit - 2 * 49 * 0.966) < 1e-9, `40 in flight, under half: no step for the slow latency; the peak of 49 decays to 47.3: ${limit.limit.toFixed(2)}`)
})

t.test('the limit follows use: at most 2 × the decaying in-flight peak of the last windows, at least initialLimit / 4', async (t) => {
  const limit = new GradientLimit(BASE, 0)
  let now = 0
  window(limit, (now += 100), 100, 20)
  t.equal(limit.limit, 40, 'initial 100 with 20 in flight: down to 40 at once (a step cannot be admitted at 100)')
  window(limit, (now += 100), 100, 30)
  // 40 × 0.8 + (40 + √40) × 0.2 = 41.2649, under the ceiling of 2 × 30.
  t.ok(Math.abs(limit.limit - 41.2649) < 1e-4, `30 in flight of 40, flat latency, nobody waits: Gradient2's smoothed growth to ${limit.limit.toFixed(4)}`)
  for (let i = 0; i < 40; i++) window(limit, (now += 100), 100, 2)
  t.equal(limit.limit, 25, 'use falls to 2: the peak decays (half-life 20 windows) and the limit with it, down to 100 / 4 (room for a burst), not minLimit')
})

t.test('slow start: while requests wait, each response without queueing raises the limit by one', async (t) => {
  const cases = [
    { name: 'at the baseline latency', rtt: 100, saturated: true, expected: 60 },
    { name: 'within 1.1 × the baseline', rtt: 110, saturated: true, expected: 60 },
    { name: 'at 1.5 × the baseline (the backend queues): none', rtt: 150, saturated: true, expected: 40 },
    { name: 'nobody waits: none', rtt: 100, saturated: false, expected: 40 },
  ]
  for (const c of cases) {
    const limit = new GradientLimit(BASE, 0)
    for (let i = 1; i <= 10; i++) window(limit, i * 100, 100, 20)
    t.equal(limit.limit, 40, `${c.name}: 20 in flight, the limit follows to 40`)
    let changed = 0
    for (let s = 0; s < 20; s++) if (limit.sample(c.rtt, Math.floor(limit.limit), c.saturated, 1050)) changed++
    t.equal(limit.limit, c.expected, c.name)
    t.equal(changed, c.expected - 40, 'sample() says when the limit moved inside a window')
  }
})

t.test('a healthy burst on an idle upstream is admitted within one round trip', async (t) => {
  // 60 at once against a 50 ms backend with room: the limit followed use down to its floor (25); every permit
  // cycles once per 50 ms at the baseline latency and each response adds one.
  const limit = new GradientLimit(BASE, 0)
  for (let i = 1; i <= 10; i++) window(limit, i * 100, 50, 1)
  t.equal(limit.limit, 25)
  const first = Math.floor(limit.limit)
  for (let r = 0; r < first; r++) limit.sample(50, first, true, 1050)
  t.ok(first + Math.floor(limit.limit) >= 60, `25 answered at 50 ms and the limit at ${limit.limit}: all 60 admitted (the queue timeout is 100 ms)`)
})
