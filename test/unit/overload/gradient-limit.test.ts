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

t.test('the limit follows use: at most 2 × the decaying in-flight peak of the last windows', async (t) => {
  const limit = new GradientLimit(BASE, 0)
  let now = 0
  window(limit, (now += 100), 100, 8)
  t.equal(limit.limit, 16, 'initial 100 with 8 in flight: down to 16 at once (a step cannot be admitted at 100)')
  window(limit, (now += 100), 100, 12)
  // 16 × 0.8 + (16 + 4) × 0.2 = 16.8, under the ceiling of 2 × 12.
  t.ok(Math.abs(limit.limit - 16.8) < 1e-9, `12 in flight of 16, flat latency, nobody waits: Gradient2's smoothed growth to ${limit.limit}`)
  for (let i = 0; i < 40; i++) window(limit, (now += 100), 100, 2)
  t.equal(limit.limit, BASE.minLimit, 'use falls to 2: the peak decays (half-life 20 windows) and the limit with it, down to minLimit')
})

t.test('a healthy step of demand is admitted within a few windows (fast growth while requests wait at baseline latency)', async (t) => {
  /** Windows of 100 ms at `rttMs`, every permit taken and requests waiting (demand above the limit); the limits after each. */
  const step = (limit: GradientLimit, from: number, rttMs: number, windows: number): number[] => {
    const seen: number[] = []
    for (let i = 0; i < windows; i++) {
      const held = Math.floor(limit.limit)
      for (let s = 0; s < 10; s++) limit.sample(rttMs, held, true, from + i * 100 + 50)
      limit.sample(rttMs, held, true, from + (i + 1) * 100)
      seen.push(Math.floor(limit.limit))
    }
    return seen
  }
  const cases = [
    { name: '100 ms latency: one round trip per window, × 1.25 each', rtt: 100, stepRtt: 100, expected: [20, 25, 31, 39] },
    { name: '10 ms latency: ten round trips per window, × 2 each (2 × the peak at most)', rtt: 10, stepRtt: 10, expected: [32, 64, 128, 256] },
    { name: 'the latency rises to 1.5 × the baseline (the backend queues): no fast growth, Gradient2 growth only', rtt: 100, stepRtt: 150, expected: [16, 17, 18, 19] },
  ]
  for (const c of cases) {
    const limit = new GradientLimit(BASE, 0)
    for (let i = 1; i <= 10; i++) window(limit, i * 100, c.rtt, 8)
    t.equal(limit.limit, 16, `${c.name}: 8 in flight, the limit follows to 16`)
    t.same(step(limit, 1000, c.stepRtt, 4), c.expected, c.name)
  }
})
