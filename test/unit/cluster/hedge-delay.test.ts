import t from 'tap'
import { EndpointStats } from '../../../src/metrics/endpoint-stats.js'
import { HedgeDelay } from '../../../src/cluster/hedge-delay.js'

/** Endpoints whose statistics hold the given latencies to headers, ms. */
function endpoints(...latencies: number[][]): { stats: EndpointStats }[] {
  return latencies.map((ms) => {
    const stats = new EndpointStats()
    for (const l of ms) stats.recordResponse(200, l)
    return { stats }
  })
}

const P95 = { enabled: true, delayMs: 'p95', minDelayMs: 5 } as const

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
