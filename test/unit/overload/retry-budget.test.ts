import t from 'tap'
import { RetryBudget } from '../../../src/overload/retry-budget.js'

/** Takes tokens until refused; returns how many were granted. */
function drain(budget: RetryBudget): number {
  let granted = 0
  while (budget.tryAcquireRetry()) granted++
  return granted
}

t.test('retries in flight ≤ max(minConcurrent, fraction × active)', async (t) => {
  const cases: { active: number; fraction: number; min: number; allowed: number }[] = [
    { active: 0, fraction: 0.2, min: 3, allowed: 3 }, // a quiet upstream may still retry: the floor
    { active: 10, fraction: 0.2, min: 3, allowed: 3 }, // 20 % of 10 = 2 < 3
    { active: 100, fraction: 0.2, min: 3, allowed: 20 },
    { active: 101, fraction: 0.2, min: 3, allowed: 21 }, // 20.2: a 21st token while 20 < 20.2
    { active: 100, fraction: 0, min: 0, allowed: 0 }, // retries off by budget
    { active: 60, fraction: 0.2, min: 3, allowed: 12 },
  ]
  for (const c of cases) {
    const budget = new RetryBudget(c.fraction, c.min)
    budget.active = c.active
    t.equal(drain(budget), c.allowed, `${c.active} active, ${c.fraction * 100} %, floor ${c.min}: ${c.allowed} retries`)
    t.equal(budget.refused, 1, 'the one that did not fit is counted as refused')
    t.equal(budget.granted, c.allowed, 'and the granted ones as granted')
  }
})

t.test('a token comes back when its request ends; growing load raises the cap', async (t) => {
  const budget = new RetryBudget(0.2, 3)
  budget.active = 10
  t.equal(drain(budget), 3)
  budget.requestStarted()
  budget.requestEnded(1) // a request that held one retry ended: active is back to 10, one token free
  t.ok(budget.tryAcquireRetry(), 'released: one more')
  t.notOk(budget.tryAcquireRetry(), 'and no more')
  budget.active = 50
  t.equal(drain(budget), 7, '20 % of 50 = 10 in flight: 7 more')
  t.equal(budget.retrying, 10)
})

t.test('hedges may hold only half the budget, so retries of real failures still find tokens', async (t) => {
  const budget = new RetryBudget(0.2, 8)
  budget.active = 10
  let hedges = 0
  while (budget.tryAcquireHedge()) hedges++
  t.equal(hedges, 4, 'hedges stop at half of max(8, 2)')
  t.equal(budget.refused, 0, 'a hedge not sent is not a refused retry')
  t.equal(drain(budget), 4, 'the other half is left for retries')
  t.equal(budget.refused, 1)
  budget.requestEnded(4)
  t.equal(budget.tryAcquireHedge(), false, 'retries holding 4 of 8 leave no room for a hedge')
})
