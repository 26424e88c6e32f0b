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
  const limit = new GradientLimit(BASE, 0)
  let now = 0
  for (let i = 0; i < 10; i++) window(limit, (now += 100), 20, 8)
  t.equal(limit.limit, 16)
  const seen: number[] = []
  for (let i = 0; i < 4; i++) {
    const held = Math.floor(limit.limit) // demand 40: every permit taken, requests waiting
    for (let s = 0; s < 10; s++) limit.sample(20, held, true, now + 50)
    limit.sample(20, held, true, (now += 100))
    seen.push(Math.floor(limit.limit))
  }
  t.same(seen, [20, 25, 31, 39], 'demand 2.5 × recent use: × 1.25 per window, not + 0.2 × √limit (16.8, 17.6, …)')
  const slow = new GradientLimit(BASE, now)
  for (let i = 0; i < 10; i++) window(slow, (now += 100), 20, 8)
  for (let s = 0; s < 10; s++) slow.sample(30, 16, true, now + 50)
  slow.sample(30, 16, true, (now += 100))
  t.ok(slow.limit < 20, `the same window at 1.5 × the baseline latency (the backend queues): no fast growth (${slow.limit.toFixed(2)})`)
})

t.test('bounded by minLimit and maxLimit; the long average recovers fast once latency returns', async (t) => {
  const limit = new GradientLimit({ ...BASE, initialLimit: 20, minLimit: 10, maxLimit: 25 }, 0)
  let now = 0
  for (let i = 0; i < 200; i++) window(limit, (now += 100), 10, 1000)
  t.equal(limit.limit, 25, 'flat latency: grows up to maxLimit and stays')
  for (let i = 0; i < 30; i++) window(limit, (now += 100), 100, 1000)
  t.equal(limit.limit, 10, 'ten times the latency: down to minLimit and no lower')
  const longBefore = limit.longRttMs
  window(limit, (now += 100), 5, 1000)
  t.ok(limit.longRttMs < longBefore * 0.96, `long > 2 × short: cut by 5 % on top of the average (${longBefore.toFixed(2)} → ${limit.longRttMs.toFixed(2)})`)
})

t.test('minWindowSamples: a window with too few samples goes on until it has them', async (t) => {
  const limit = new GradientLimit({ ...BASE, minWindowSamples: 5 }, 0)
  for (let i = 0; i < 4; i++) t.equal(limit.sample(10, 100, false, 500), false)
  t.equal(limit.sample(10, 100, false, 500), true, 'the fifth sample closes it')
})

t.test('a window at the limit teaches the long average ten times slower (the baseline must not creep up under overload)', async (t) => {
  const free = new GradientLimit(BASE, 0)
  const held = new GradientLimit(BASE, 0)
  free.sample(10, 100, false, 100)
  held.sample(10, 100, false, 100)
  free.sample(40, 100, false, 200)
  held.sample(40, 100, true, 200)
  // α = 2 / 601: free learns 30 × α = 0.0998 ms of the rise, held a tenth of it.
  t.ok(Math.abs(free.longRttMs - 10.0998) < 1e-3, `free: ${free.longRttMs.toFixed(4)}`)
  t.ok(Math.abs(held.longRttMs - 10.00998) < 1e-4, `held: ${held.longRttMs.toFixed(5)}`)
})
