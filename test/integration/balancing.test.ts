import t from 'tap'
import type { PolicyConfig } from '../../src/config/types.js'
import { getText, startRig } from '../helpers/harness.js'

/** Sends `n` sequential requests and counts which backend answered each. */
async function spread(url: string, n: number, path = '/'): Promise<Record<string, number>> {
  const counts: Record<string, number> = {}
  for (let i = 0; i < n; i++) {
    const res = await getText(url + path)
    const name = String(res.headers['x-backend'])
    counts[name] = (counts[name] ?? 0) + 1
  }
  return counts
}

t.test('round_robin spreads sequential requests evenly and by weight', async (t) => {
  const even = await startRig(t, ['a', 'b', 'c'])
  t.same(await spread(even.url, 30), { a: 10, b: 10, c: 10 })
  const weighted = await startRig(t, ['a', 'b'], { weights: [3, 1] })
  t.same(await spread(weighted.url, 40), { a: 30, b: 10 })
})

t.test('every policy reaches every backend through the real proxy', async (t) => {
  const policies: PolicyConfig[] = [{ name: 'random' }, { name: 'least_request', choiceCount: 2, activeRequestBias: 1 }]
  for (const policy of policies) {
    const rig = await startRig(t, ['a', 'b', 'c'], { policy })
    const counts = await spread(rig.url, 90)
    t.same(Object.keys(counts).sort(), ['a', 'b', 'c'], `${policy.name} used all backends`)
  }
})

t.test('least_request sends most concurrent traffic to the faster backend; round_robin does not', async (t) => {
  const backends = [{ name: 'fast', delayMs: 5 }, { name: 'slow', delayMs: 100 }]
  const leastRequest = await startRig(t, backends, { policy: { name: 'least_request', choiceCount: 2, activeRequestBias: 1 } })
  const roundRobin = await startRig(t, backends)
  const fastShare = async (url: string, fast: { requests: number }, slow: { requests: number }): Promise<number> => {
    // 8 concurrent clients, 25 requests each: the slow backend accumulates in-flight requests.
    await Promise.all(Array.from({ length: 8 }, () => spread(url, 25)))
    return fast.requests / (fast.requests + slow.requests)
  }
  const lr = await fastShare(leastRequest.url, leastRequest.backends[0], leastRequest.backends[1])
  const rr = await fastShare(roundRobin.url, roundRobin.backends[0], roundRobin.backends[1])
  t.ok(lr > 0.8, `least_request fast share ${lr.toFixed(2)} > 0.8`)
  t.ok(rr > 0.45 && rr < 0.55, `round_robin fast share ${rr.toFixed(2)} ≈ 0.5`)
})
