import t from 'tap'
import { TrafficSim, type Behaviour } from './traffic-sim.js'

/**
 * The shipped defaults (interval 1 s, window 10 s, baseline 5 min, warm-up 2 min, enter after 3, exit after 5)
 * against simulated traffic. README "Anomaly detection" states these delays: a step is flagged within
 * 15 s of the change (a drop to 10 % within 15 s too: the 10 s window must first fall below half the level),
 * and the anomaly ends within 20 s of the return (the window empties of the anomaly, then 5 samples inside).
 */
const START_DELAY_S = 15
const END_DELAY_S = 20
const DAY_S = 86_400
const HALF_HOUR_S = 1_800

const steady = (rate: number): Behaviour => ({ rate, medianMs: 20, errorRate: 0.001 })

t.test('24 h of stationary heavy-tailed traffic at 1, 20 and 200 req/s: no anomaly', async (t) => {
  const rates = [1, 20, 200]
  const sim = new TrafficSim(['one', 'twenty', 'two-hundred'], 1)
  sim.run(DAY_S, (k) => steady(rates[k]))
  t.same(sim.anomalies().map((e) => e.cause), [])
})

t.test('a slow ramp (rate and latency double over an hour, then stay): no anomaly', async (t) => {
  const sim = new TrafficSim(['ramp'], 2)
  const ramp = (s: number): number => 1 + Math.min(1, Math.max(0, (s - HALF_HOUR_S) / 3600))
  sim.run(3 * 3600, (_k, s) => ({ rate: 200 * ramp(s), medianMs: 20 * ramp(s), errorRate: 0.001 }))
  t.same(sim.anomalies().map((e) => e.cause), [])
})

/** Each step, applied after 30 min of steady traffic at 200 req/s for 2 min, then undone. */
const STEPS: { name: string; signal: string; during: Behaviour }[] = [
  { name: 'rate ×3', signal: 'surge', during: { rate: 600, medianMs: 20, errorRate: 0.001 } },
  { name: 'latency ×5', signal: 'latency', during: { rate: 200, medianMs: 100, errorRate: 0.001 } },
  { name: 'errors 0.1 % → 10 %', signal: 'error', during: { rate: 200, medianMs: 20, errorRate: 0.1 } },
  { name: 'traffic down to 10 %', signal: 'drop', during: { rate: 20, medianMs: 20, errorRate: 0.001 } },
]

for (const step of STEPS) {
  t.test(`${step.name}: flagged as ${step.signal} within ${START_DELAY_S} s, ended within ${END_DELAY_S} s of the return`, async (t) => {
    const sim = new TrafficSim(['api'], 3)
    sim.run(HALF_HOUR_S, () => steady(200))
    t.same(sim.anomalies(), [], 'nothing before the step')
    const changedAt = sim.second
    let startedAfter = -1
    for (let s = 0; s < 120 && startedAfter < 0; s++) {
      sim.run(1, () => step.during)
      if (sim.anomalies('anomaly-start').length > 0) startedAfter = sim.second - changedAt
    }
    t.ok(startedAfter > 0 && startedAfter <= START_DELAY_S, `started after ${startedAfter} s`)
    const starts = sim.anomalies('anomaly-start')
    t.same(
      starts.map((e) => [e.data.scope, e.data.name, e.data.signal]),
      [
        ['upstream', 'api', step.signal],
        ['route', 'api', step.signal],
      ],
      'one start per scope, of the expected signal',
    )
    const start = starts[0].data
    const observed = start.observed as number
    t.ok(observed > (start.expectedHigh as number) || observed < (start.expectedLow as number), 'the observed value is outside the band it reports')
    t.ok(sim.monitor.active('api', step.signal as 'surge'), 'active() says so')
    t.same(sim.monitor.activeList().length, 2)
    sim.run(120 - (sim.second - changedAt), () => step.during)
    t.equal(sim.anomalies('anomaly-end').length, 0, 'still active while the step lasts')
    const returnedAt = sim.second
    let endedAfter = -1
    for (let s = 0; s < 60 && endedAfter < 0; s++) {
      sim.run(1, () => steady(200))
      if (sim.anomalies('anomaly-end').length > 0) endedAfter = sim.second - returnedAt
    }
    t.ok(endedAfter > 0 && endedAfter <= END_DELAY_S, `ended after ${endedAfter} s`)
    sim.run(600, () => steady(200))
    t.equal(sim.anomalies('anomaly-end').length, 2, 'both scopes ended')
    t.equal(sim.anomalies('anomaly-start').length, 2, 'and nothing else started after the return')
    t.equal(sim.monitor.active('api', step.signal as 'surge'), false)
    t.same(sim.monitor.recent().map((a) => a.endReason), ['returned', 'returned'])
  })
}

t.test('a step that lasts relearnAfter (10 min) becomes the new normal: ended, and no alarm at the new level', async (t) => {
  const sim = new TrafficSim(['api'], 4)
  sim.run(HALF_HOUR_S, () => steady(200))
  sim.run(3600, () => steady(600))
  t.same(
    sim.anomalies().map((e) => [e.kind, e.data.scope, e.data.signal, e.data.reason ?? '']),
    [
      ['anomaly-start', 'upstream', 'surge', ''],
      ['anomaly-start', 'route', 'surge', ''],
      ['anomaly-end', 'upstream', 'surge', 'new-normal'],
      ['anomaly-end', 'route', 'surge', 'new-normal'],
    ],
  )
  const end = sim.anomalies('anomaly-end')[0].data.observed as number
  t.ok(end > 450 && end < 750, `the end reports the level accepted, ${end} req/s`)
})

t.test('a low-traffic upstream (1 req/s) never alarms, even when its rate triples or it fails', async (t) => {
  const sim = new TrafficSim(['quiet'], 5)
  sim.run(HALF_HOUR_S, () => steady(1))
  sim.run(300, () => ({ rate: 3, medianMs: 20, errorRate: 0.001 }))
  sim.run(300, () => ({ rate: 1, medianMs: 20, errorRate: 0.01 }))
  t.same(sim.anomalies().map((e) => e.cause), [])
})
