import t from 'tap'
import { ExplorationBudget } from '../../../src/model/exploration-budget.js'
import { believedSlower, NearBestSet, STALE_CANDIDATE_MS } from '../../../src/model/near-best-set.js'
import { AdaptiveModel } from '../../../src/model/adaptive-model.js'
import { makeEndpoints } from '../../helpers/endpoints.js'

t.test('the budget: at most fraction × picks + 1 explorations, however often one is wanted', async (t) => {
  for (const fraction of [0, 0.005, 0.05]) {
    const budget = new ExplorationBudget(fraction)
    for (let k = 0; k < 100_000; k++) if (budget.grant()) budget.spend()
    t.ok(budget.explored <= fraction * 100_000 + 1 && budget.explored >= fraction * 100_000 - 1, `${fraction}: ${budget.explored} of 100000`)
  }
})

t.test('the exported share is over the last complete 10 s window', async (t) => {
  const budget = new ExplorationBudget(0.01)
  budget.tick(0)
  for (let k = 0; k < 1_000; k++) if (budget.grant() && k % 2 === 0) budget.spend()
  budget.tick(5_000)
  t.equal(budget.share(), 0, 'no complete window yet')
  budget.tick(10_000)
  t.ok(budget.share() > 0 && budget.share() <= 0.01, `share ${budget.share()}`)
  budget.tick(20_000)
  t.equal(budget.share(), 0, 'no picks in the next window')
})

t.test('believed slower: more than 2× the best plus 2 ms, after 3 answers', async (t) => {
  t.notOk(believedSlower(21.9, 10, 100))
  t.ok(believedSlower(22.1, 10, 100))
  t.notOk(believedSlower(1.9, 0, 100), 'sub-ms noise does not split fast backends')
  t.notOk(believedSlower(500, 10, 2), 'two answers (a handshake in the first) are no belief yet')
})

t.test('the near-best pool: slow ones out, a silent one back in after 5 s, unknown ones in', async (t) => {
  const model = new AdaptiveModel({ endpoints: 5, forgetting: 0.995, errorPenaltyMs: 1_000 })
  const endpoints = makeEndpoints([1, 1, 1, 1, 1])
  const set = new NearBestSet(5)
  let now = 0
  for (let k = 0; k < 200; k++, now += 10) {
    for (let i = 0; i < 4; i++) model.learnSuccess(i, 1, i < 2 ? 10 : 100, now)
  }
  set.reindex(endpoints.slice(0, 4), model, now)
  t.same(Array.from(set.members.subarray(0, set.count)), [0, 1], 'the 10 ms pair; the 100 ms pair is out')
  t.same(Array.from(set.slotOf), [0, 1, -1, -1, -1])
  set.reindex(endpoints, model, now)
  t.ok(Array.from(set.members.subarray(0, set.count)).includes(4), 'never heard from: stale, a candidate')
  for (let i = 0; i < 2; i++) model.learnSuccess(i, 1, 10, now + STALE_CANDIDATE_MS)
  model.learnSuccess(4, 1, 10, now + STALE_CANDIDATE_MS)
  set.refresh(endpoints, model, now + STALE_CANDIDATE_MS)
  t.same(Array.from(set.members.subarray(0, set.count)), [0, 1, 2, 3, 4], 'silent for 5 s: the slow ones are candidates again')
})
