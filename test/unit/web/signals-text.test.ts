import t from 'tap'
import { manualText, removalText, scalingText, stormText } from '../../../web/signals-text.js'
import { count } from '../../../web/format.js'

t.test('the scaling recommendation against the current count, or why there is none yet', async (t) => {
  t.equal(scalingText({ recommended: 5, current: 3, forecastRps: 1_234.4, reason: null }), 'needs 5 of 3 endpoints at 1 234 req/s forecast')
  t.equal(scalingText({ recommended: 2, current: 3, forecastRps: null, reason: null }), 'needs 2 of 3 endpoints', 'no forecast yet: the count alone')
  t.equal(scalingText({ recommended: null, current: 3, forecastRps: 40, reason: 'no endpoint has a latency-versus-in-flight curve yet' }), 'no recommendation yet (no endpoint has a latency-versus-in-flight curve yet)')
  t.equal(scalingText({ recommended: null, current: 3, forecastRps: null, reason: null }), 'no recommendation yet')
  t.equal(scalingText(null), '', 'no signal: nothing shown')
})

t.test('the storm state while storming and while relaxing; nothing otherwise', async (t) => {
  t.equal(stormText({ storming: true, level: 0.0625 }), 'STORM: retries and hedges at 6.3 %')
  t.equal(stormText({ storming: false, level: 0.5 }), 'after a storm: retries and hedges back to 50 %')
  t.equal(stormText({ storming: false, level: 1 }), '')
  t.equal(stormText(null), '', 'damping off')
})

t.test('an endpoint: removals (Retry-After holds included) and what an operator set', async (t) => {
  t.equal(removalText(false, 0, false, 0), '—')
  t.equal(removalText(true, 12_000, true, 2_500), 'ejected, 12 s left; drained; Retry-After hold, 2.5 s left')
  t.equal(manualText({ drained: false, ejected: false, weight: null }), '', 'as configured: no marker')
  t.equal(manualText({ drained: true, ejected: true, weight: 3 }), 'operator: drained, ejected, weight 3')
})

t.test('counts group their digits by three', async (t) => {
  t.same([0, 999, 1_200, 12_500.6, 1_234_567].map(count), ['0', '999', '1 200', '12 501', '1 234 567'])
})
