import t from 'tap'
import { PeakEwmaPolicy } from '../../../src/balancer/policies/peak-ewma.js'
import { Outcome } from '../../../src/util/outcome.js'
import { ManualClock } from '../../../src/util/clock.js'
import { SeededRng } from '../../../src/util/rng.js'
import { makeEndpoints, shares } from '../../helpers/endpoints.js'
import { FIRST_TRY, retryAvoiding } from './pick-helpers.js'

function setup() {
  const clock = new ManualClock(1_000)
  const policy = new PeakEwmaPolicy({ decayMs: 10_000, defaultRttMs: 30, failurePenaltyMs: 1_000, clock, rng: new SeededRng(3) })
  const endpoints = makeEndpoints([1, 1])
  policy.rebuild(endpoints)
  return { clock, policy, endpoints }
}

t.test('the estimate jumps to a higher sample and decays towards lower ones with w = e^(−Δt/τ)', async (t) => {
  const { clock, policy, endpoints } = setup()
  const [e] = endpoints
  t.equal(policy.explain(e).estimateMs, 30, 'default RTT before any sample')
  policy.observe(e, 200, 200, Outcome.Success, clock.now())
  t.equal(policy.explain(e).estimateMs, 200, 'peak: jumps straight up')
  clock.advance(10_000) // Δt = τ → w = e^-1
  policy.observe(e, 10, 200, Outcome.Success, clock.now())
  const w = Math.exp(-1)
  t.ok(Math.abs(policy.explain(e).estimateMs - (200 * w + 10 * (1 - w))) < 1e-9, 'EWMA step down')
  clock.advance(10_000)
  t.ok(Math.abs(policy.explain(e).estimateMs - (200 * w + 10 * (1 - w)) * w) < 1e-9, 'decays on read')
})

t.test('cost = estimate × (in-flight + 1): the cheaper of two wins', async (t) => {
  const { clock, policy, endpoints } = setup()
  const [fast, slow] = endpoints
  policy.observe(fast, 10, 200, Outcome.Success, clock.now())
  policy.observe(slow, 100, 200, Outcome.Success, clock.now())
  t.same(shares(2, 1_000, () => policy.pick(endpoints, FIRST_TRY)), [1, 0], 'fast always wins when idle')
  fast.inflight = 10 // 10 × 11 = 110 > 100 × 1
  t.same(shares(2, 1_000, () => policy.pick(endpoints, FIRST_TRY)), [0, 1], 'a loaded fast endpoint loses')
  t.same(shares(2, 100, () => policy.pick(endpoints, retryAvoiding(1))), [1, 0], 'exclusion wins over cost')
})

t.test('failures count as the penalty; client aborts count for nothing', async (t) => {
  const { clock, policy, endpoints } = setup()
  const [e] = endpoints
  policy.observe(e, 0.5, 0, Outcome.ClientAbort, clock.now())
  t.equal(policy.explain(e).estimateMs, 30, 'client abort ignored')
  policy.observe(e, 0.5, 0, Outcome.ConnectFailure, clock.now())
  t.equal(policy.explain(e).estimateMs, 1_000, 'a 0.5 ms refused connection costs the 1 s penalty')
})
