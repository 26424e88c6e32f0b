/**
 * Cost of the scaling signal's work on the cluster tick (src/scaling/upstream-scaling.ts), at 10, 100 and 1000
 * endpoints with traffic recorded into real EndpointStats: the mean and the worst tick over ticks 41..100 (the
 * curves are fitted from the 33rd), a recommendation every fifth tick among them. It runs on the proxy's event
 * loop once a second, so its worst tick is what requests wait behind. After one warm-up run.
 *   npm run build && node dist/bench/micro/scaling-tick.js
 */
import { DEFAULT_SCALING } from '../../src/config/build-scaling.js'
import { EndpointStats } from '../../src/metrics/endpoint-stats.js'
import { UpstreamScaling } from '../../src/scaling/upstream-scaling.js'
import { formatTable } from '../lib/table.js'

function measure(n: number): { meanMs: number; worstMs: number } {
  const stats = Array.from({ length: n }, () => new EndpointStats(0))
  const view = { name: 'bench', endpoints: stats.map((s, i) => ({ id: `e${i}`, stats: s })) }
  const scaling = new UpstreamScaling('bench', DEFAULT_SCALING, () => {})
  let total = 0
  let worst = 0
  for (let second = 1; second <= 100; second++) {
    for (const s of stats) for (let k = 0; k < 20 + (second % 7); k++) s.recordResponse(200, 5 + (k % 13) + (second % 5))
    if (second % 10 === 0) for (const s of stats) s.rollover(second * 1_000)
    const start = performance.now()
    scaling.tick(second * 1_000, view)
    const ms = performance.now() - start
    if (second > 40) {
      total += ms
      worst = Math.max(worst, ms)
    }
  }
  return { meanMs: total / 60, worstMs: worst }
}

measure(100) // warm-up: JIT and ml-regression's first fits, which the proxy pays once
const rows = [10, 100, 1_000].map((n) => {
  const { meanMs, worstMs } = measure(n)
  return [String(n), meanMs.toFixed(3), worstMs.toFixed(3)]
})
console.log(formatTable(['endpoints', 'mean ms/tick', 'worst ms/tick'], rows))
