import t from 'tap'
import { EndpointStats } from '../../../src/metrics/endpoint-stats.js'
import { HedgeDelay, tailDelayMs } from '../../../src/cluster/hedge-delay.js'

/** Endpoints whose statistics hold the given latencies to headers, ms. */
function endpoints(...latencies: number[][]): { stats: EndpointStats }[] {
  return latencies.map((ms) => {
    const stats = new EndpointStats()
    for (const l of ms) stats.recordResponse(200, l)
    return { stats }
  })
}

const P95 = { enabled: true, delayMs: 'p95', minDelayMs: 5, tailFactor: 4, tailFloorMs: 50 } as const

t.test('off, or fixed: the configured value, whatever the statistics', async (t) => {
  const off = new HedgeDelay({ ...P95, enabled: false })
  off.refresh(endpoints(Array(100).fill(50)))
  t.equal(off.delayMs, -1, 'disabled')
  const fixed = new HedgeDelay({ ...P95, delayMs: 40 })
  t.equal(fixed.delayMs, 40, 'from the start')
  fixed.refresh(endpoints(Array(100).fill(500)))
  t.equal(fixed.delayMs, 40, 'not recomputed')
})

t.test('p95: no hedging before 20 responses, then the merged p95 over all endpoints, floored', async (t) => {
  const delay = new HedgeDelay(P95)
  t.equal(delay.delayMs, -1, 'no data yet')
  delay.refresh(endpoints(Array(10).fill(30), Array(9).fill(30)))
  t.equal(delay.delayMs, -1, '19 responses are too few')
  // 90 fast (10 ms) on one endpoint, 10 slow (200 ms) on the other: the merged p95 is slow, a mean of per-endpoint p95s would not be.
  delay.refresh(endpoints(Array(90).fill(10), Array(10).fill(200)))
  t.ok(Math.abs(delay.delayMs - 200) <= 0.2, `p95 of the merged latencies ≈ 200 ms: ${delay.delayMs}`)
  // 96 fast, 4 slow: the p95 is a fast one.
  delay.refresh(endpoints(Array(96).fill(10), Array(4).fill(200)))
  t.ok(Math.abs(delay.delayMs - 10) <= 0.01, `p95 ≈ 10 ms: ${delay.delayMs}`)
  delay.refresh(endpoints(Array(50).fill(1), Array(50).fill(2)))
  t.equal(delay.delayMs, 5, 'floored at minDelay')
  delay.refresh(endpoints([], []))
  t.equal(delay.delayMs, -1, 'back to no hedging when the window empties')
})

const TAIL = { ...P95, delayMs: 'tail' } as const

t.test('tail arithmetic: k × p99.9, never below the floor', async (t) => {
  t.equal(tailDelayMs(TAIL, 20), 80, '4 × 20 ms')
  t.equal(tailDelayMs(TAIL, 5), 50, '4 × 5 ms is under the 50 ms floor')
  t.equal(tailDelayMs({ ...TAIL, tailFactor: 3, tailFloorMs: 10 }, 30), 90, 'k and floor configurable')
})

t.test('tail: floor × 4 before 1000 responses, then k × the merged p99.9 over all endpoints', async (t) => {
  const delay = new HedgeDelay(TAIL)
  t.equal(delay.delayMs, 200, 'cold: 4 × the 50 ms floor, from the start')
  delay.refresh(endpoints(Array(500).fill(30), Array(499).fill(30)))
  t.equal(delay.delayMs, 200, '999 responses are too few for a p99.9')
  // 1000 responses: 998 at 10 ms, 2 at 40 ms on the other endpoint. The p99.9 (rank 999) is a 40 ms one: 160 ms.
  delay.refresh(endpoints(Array(998).fill(10), Array(2).fill(40)))
  t.ok(Math.abs(delay.delayMs - 160) <= 0.2, `4 × p99.9 of the merged latencies ≈ 160 ms: ${delay.delayMs}`)
  // 999 at 10 ms, 1 at 40 ms: rank 999 is a 10 ms one, 4 × 10 = 40 ms, floored at 50 ms.
  delay.refresh(endpoints(Array(999).fill(10), [40]))
  t.equal(delay.delayMs, 50, 'floored at tailFloor')
  // 2000 responses, 1 % at 300 ms: the p99.9 is 300 ms, so 1200 ms.
  delay.refresh(endpoints(Array(1980).fill(10), Array(20).fill(300)))
  t.ok(Math.abs(delay.delayMs - 1200) <= 1, `a slow tail moves the delay: ${delay.delayMs}`)
  delay.refresh(endpoints([], []))
  t.equal(delay.delayMs, 200, 'back to the cold delay when the window empties')
  const off = new HedgeDelay({ ...TAIL, enabled: false })
  off.refresh(endpoints(Array(1000).fill(10)))
  t.equal(off.delayMs, -1, 'disabled')
})
