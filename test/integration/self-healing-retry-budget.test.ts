import t from 'tap'
import { eventually } from '../helpers/harness.js'
import { adminJson, burst, countBy, healthConfig, retryConfig, startHealingRig, type UpstreamsJson } from '../helpers/healing-rig.js'
import { ScriptedBackend, startScripted } from '../helpers/scripted-backend.js'

// Fault 10 of issue 4: a retry storm. Every endpoint fails, every request wants maxRetries (2) more tries,
// and the retry budget (retries in flight ≤ 20% of active requests, at least 3) must hold the line.
// A token is taken when the budget allows (retrying < max(3, 0.2 × active)) and held until the exchange
// ends; active never exceeds the N client requests, so at any moment retrying ≤ max(3, ceil(0.2 × N)).
// Outlier ejection is off so that every request keeps meeting failing endpoints.

const N = 60
const BOUND = Math.max(3, Math.ceil(0.2 * N))

const storms: { name: string; expected: string; minActive: number; breakAll: (backends: ScriptedBackend[]) => Promise<void> }[] = [
  {
    name: 'every endpoint answers 503 after 100 ms',
    expected: '503',
    // slow failures overlap: most of the N requests are active at once
    minActive: N / 2,
    breakAll: async (backends) => {
      for (const b of backends) {
        b.mode = 'status'
        b.status = 503
        b.delayMs = 100
      }
    },
  },
  {
    name: 'every endpoint refuses connections',
    expected: '502 BATON_UPSTREAM_CONNECT',
    // a refused connect fails within microseconds, so few requests overlap: the budget's floor of 3 governs
    minActive: 1,
    breakAll: async (backends) => void (await Promise.all(backends.map((b) => b.stop()))),
  },
]

for (const storm of storms) {
  t.test(`${storm.name}: ${N} concurrent requests never hold more retries than the budget`, async (t) => {
    const backends = await startScripted('a', 'b', 'c')
    const rig = await startHealingRig(t, backends, {
      overrides: {
        retry: retryConfig({ maxRetries: 2, budgetPercent: 20, budgetMinConcurrent: 3 }),
        health: healthConfig({ outlier: { enabled: false } }),
      },
    })
    await storm.breakAll(backends)
    const budget = rig.baton.clusters[0].retryBudget

    // Watch the budget on every turn of the event loop while the storm runs (same thread: exact values).
    let watching = true
    let maxRetrying = 0
    let maxActive = 0
    const watch = (): void => {
      maxRetrying = Math.max(maxRetrying, budget.retrying)
      maxActive = Math.max(maxActive, budget.active)
      if (watching) setImmediate(watch)
    }
    watch()
    const midStorm: { seen: UpstreamsJson | null } = { seen: null }
    const storming = burst(`${rig.url}/`, N, N)
    const peek = (async () => {
      await eventually(() => budget.refused > 0, 10_000)
      ;[midStorm.seen] = await adminJson<UpstreamsJson[]>(rig, '/api/upstreams')
    })()
    const results = await storming
    await peek
    watching = false

    t.same(Object.keys(countBy(results, (s) => (s.code === '' ? String(s.status) : `${s.status} ${s.code}`))), [storm.expected], `every client got ${storm.expected}`)
    t.ok(maxActive >= storm.minActive, `up to ${maxActive} requests were active at once`)
    t.ok(maxRetrying >= 1, `retries happened: up to ${maxRetrying} at once`)
    t.ok(maxRetrying <= BOUND, `retries in flight never exceeded max(3, 20% of ${N}) = ${BOUND}: max ${maxRetrying}`)
    const refusedMid = midStorm.seen?.retryBudget.refused ?? 0
    t.ok(refusedMid > 0, `/api/upstreams showed refusals during the storm (${refusedMid})`)

    t.ok(await eventually(() => budget.active === 0 && budget.retrying === 0, 5_000), 'the proxy settles')
    const [after] = await adminJson<UpstreamsJson[]>(rig, '/api/upstreams')
    t.equal(after.retryBudget.active, 0, 'no request left active')
    t.equal(after.retryBudget.retrying, 0, 'every retry token returned')
    t.ok(after.retryBudget.refused > 0, `refused retries counted: ${after.retryBudget.refused}`)
    const attempts = after.endpoints.reduce((sum, e) => sum + e.requests, 0)
    t.ok(attempts < 3 * N, `${attempts} attempts for ${N} requests: fewer than the ${3 * N} an unbudgeted proxy would send`)
  })
}
