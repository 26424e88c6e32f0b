import t from 'tap'
import { DashboardSampler } from '../../../src/admin/dashboard-sampler.js'
import type { UpstreamView } from '../../../src/admin/types.js'
import { EventLog, type HealthEvent } from '../../../src/health/event-log.js'
import { EndpointHolds } from '../../../src/overload/endpoint-holds.js'
import { ManualClock } from '../../../src/util/clock.js'
import { fakeEndpoint, fakeUpstream } from '../metrics/fake-upstreams.js'

const event = (timeMs: number, endpoint: string): HealthEvent => ({ timeMs, upstream: 'api', endpoint, kind: 'ejected', cause: 'test', data: {} })

t.test('rates, shares and error rates are per frame, from counter deltas over the clock', async (t) => {
  const clock = new ManualClock(1_000)
  const a = fakeEndpoint('10.0.0.1:80', 1, 3, 0)
  const b = fakeEndpoint('10.0.0.2:80', 1, 0, 1)
  let upstreams: UpstreamView[] = [fakeUpstream('api', [a, b])]
  const sampler = new DashboardSampler(() => upstreams, new EventLog(), clock, () => 42)
  for (let i = 0; i < 5; i++) a.stats.recordResponse(200, 4)

  const first = sampler.frame()
  t.equal(first.timeMs, 42, 'wall-clock time')
  t.match(first.upstreams[0], { name: 'api', policy: 'round_robin', panic: false })
  t.match(first.upstreams[0].endpoints[0], { id: '10.0.0.1:80', inflight: 3, rate: 0, share: 0, errorRate: 0, predictedMs: null, state: 'available' }, 'nothing to compare with on the first frame')

  for (let i = 0; i < 30; i++) a.stats.recordResponse(200, 4)
  for (let i = 0; i < 10; i++) b.stats.recordResponse(200, 8)
  b.stats.recordFailure('BATON_UPSTREAM_CONNECT', false)
  b.stats.recordFailure('BATON_UPSTREAM_CONNECT', false)
  b.stats.recordFailure('BATON_CLIENT_ABORT', true) // an attempt, never an error of the backend's
  clock.advance(2_000)
  const [ea, eb] = sampler.frame().upstreams[0].endpoints
  t.match(ea, { rate: 15, share: 30 / 43, errorRate: 0 })
  t.match(eb, { rate: 6.5, share: 13 / 43, errorRate: 2 / 13 })
  t.ok(eb.p50Ms > ea.p50Ms && ea.p99Ms > 0, 'latency from the endpoint statistics')

  // A reload that hands the endpoint objects over to a new upstream keeps their rates going.
  upstreams = [fakeUpstream('api', [a, b])]
  for (let i = 0; i < 10; i++) a.stats.recordResponse(200, 4)
  clock.advance(1_000)
  t.match(sampler.frame().upstreams[0].endpoints, [{ rate: 10, share: 1 }, { rate: 0, share: 0 }])
})

t.test('each upstream carries its scaling recommendation, storm state and holds; each endpoint what an operator set', async (t) => {
  const clock = new ManualClock(1_000)
  const a = fakeEndpoint('10.0.0.1:80', 1, 0, 0)
  const b = fakeEndpoint('10.0.0.2:80', 1, 0, 0)
  const base = fakeUpstream('api', [a, b])
  base.setWeight(1, 4, 'ops', 'test')
  const snapshot = { enabled: true, recommendedEndpoints: 5, desiredEndpoints: 4.2, currentEndpoints: 2, rps: 900, forecastRps: 1_200, trendRpsPerMinute: 30, capacityRpsPerEndpoint: 280, endpointsMeasured: 2, targetP99Ms: 250, horizonMs: 120_000, headroomPercent: 10, reason: null }
  const holds = new EndpointHolds(2)
  holds.hold(0, clock.now() + 3_000)
  const upstream: UpstreamView = { ...base, holds, storm: { storming: true, level: 0.25, starts: 1 }, scaling: { describe: () => snapshot } }
  upstream.health.ejectManually(1, 30_000, true, 'ops', 'test')
  const frame = new DashboardSampler(() => [upstream], new EventLog(), clock).frame().upstreams[0]
  t.same(frame.scaling, { recommended: 5, current: 2, forecastRps: 1_200, reason: null })
  t.same(frame.storm, { storming: true, level: 0.25 })
  t.equal(frame.retryAfterHolds, 1)
  t.match(frame.endpoints, [
    { retryAfterHoldMs: 3_000, manual: { drained: false, ejected: false, weight: null } },
    { retryAfterHoldMs: 0, manual: { drained: false, ejected: true, weight: 4 } },
  ])
  const off = { ...upstream, storm: null, scaling: { describe: () => ({ ...snapshot, enabled: false, recommendedEndpoints: null }) } }
  const frameOff = new DashboardSampler(() => [off], new EventLog(), clock).frame().upstreams[0]
  t.match(frameOff, { scaling: null, storm: null }, 'scaling.enabled false and damping off: nothing to show')
})

t.test('each frame carries the events pushed since the previous one, once, even several in the same ms', async (t) => {
  const events = new EventLog(16)
  const sampler = new DashboardSampler(() => [], events, new ManualClock())
  events.push(event(1, 'old'))
  sampler.reset()
  t.same(sampler.frame().events, [], 'a stream starts after what happened before it')
  const e2 = event(5, 'x')
  const e3 = event(5, 'y')
  events.push(e2)
  events.push(e3)
  t.same(sampler.frame().events, [e2, e3])
  const e4 = event(5, 'z')
  events.push(e4)
  t.same(sampler.frame().events, [e4], 'one more in the same ms: only it')
  const e5 = event(6, 'w')
  events.push(e5)
  t.same(sampler.frame().events, [e5])
  t.same(sampler.frame().events, [], 'nothing new, nothing sent')
})
