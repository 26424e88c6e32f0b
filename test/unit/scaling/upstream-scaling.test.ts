import t from 'tap'
import { DEFAULT_SCALING } from '../../../src/config/build-scaling.js'
import type { ScalingConfig } from '../../../src/config/types.js'
import { EndpointStats } from '../../../src/metrics/endpoint-stats.js'
import { UpstreamScaling, type ScalingChange } from '../../../src/scaling/upstream-scaling.js'

/**
 * Endpoints on a manual timeline: each second, endpoint j answers rate(second) requests, each after
 * latency(rate) ms; rolled over every 10 s as the runtime does. Returns the signal after `seconds`.
 */
function drive(config: ScalingConfig, endpoints: number, seconds: number, rate: (s: number) => number, latency: (rps: number) => number): { scaling: UpstreamScaling; changes: ScalingChange[] } {
  const changes: ScalingChange[] = []
  const scaling = new UpstreamScaling('api', config, (c) => changes.push(c))
  const stats = Array.from({ length: endpoints }, () => new EndpointStats(0))
  const view = { name: 'api', endpoints: stats.map((s, i) => ({ id: `e${i}`, stats: s })) }
  for (let second = 1; second <= seconds; second++) {
    const rps = rate(second)
    for (const s of stats) for (let k = 0; k < rps; k++) s.recordResponse(200, latency(rps))
    if (second % 10 === 0) for (const s of stats) s.rollover(second * 1_000)
    scaling.tick(second * 1_000, view)
  }
  return { scaling, changes }
}

/** 80..120 answers per second per endpoint, in a repeating pattern: mean in-flight 3.2..4.8 at 40 ms. */
const wobble = (s: number) => 100 + 20 * Math.sin(s * 1.3)

t.test('a flat curve: capacity believed up to twice the in-flight seen, and the count from it', async (t) => {
  // 87 s: the count is recomputed every 5 s from the first tick with a rate (2 s), so 87 is such a tick.
  const { scaling, changes } = drive(DEFAULT_SCALING, 2, 87, wobble, () => 40)
  const s = scaling.describe()
  // Largest mean in-flight seen ≈ 120 × 0.04 = 4.8 → believed up to 9.6 at 40 ms: 240 rps an endpoint.
  t.ok(Math.abs(s.capacityRpsPerEndpoint! / 240 - 1) < 0.05, `capacity ${s.capacityRpsPerEndpoint?.toFixed(1)} rps`)
  t.equal(s.endpointsMeasured, 2)
  t.ok(Math.abs(s.desiredEndpoints! - (s.forecastRps! * 1.2) / s.capacityRpsPerEndpoint!) < 1e-9, 'desired = forecast × 1.2 / capacity')
  t.equal(s.recommendedEndpoints, Math.ceil(s.desiredEndpoints!))
  t.equal(changes.length, 1, 'one change: the first count')
  t.equal(changes[0].previous, null)
})

t.test('a knee: latency rising with load past it, capacity where the p99 target is reached', async (t) => {
  // 50 ms up to 140 rps, then 50 ms more per 40 rps: the mean reaches 250 ms / (p99/mean) near 170-200 rps.
  const latency = (rps: number) => (rps <= 140 ? 50 : 50 * (1 + (rps - 140) / 40))
  const { scaling } = drive({ ...DEFAULT_SCALING, targetP99Ms: 250 }, 3, 120, (s) => 100 + 60 * Math.abs(Math.sin(s * 0.7)), latency)
  const s = scaling.describe()
  t.ok(s.capacityRpsPerEndpoint! > 120 && s.capacityRpsPerEndpoint! < 220, `capacity ${s.capacityRpsPerEndpoint?.toFixed(1)} rps`)
})

t.test('minEndpoints is a floor; an unreachable target is a reason, not a count', async (t) => {
  const floor = drive({ ...DEFAULT_SCALING, minEndpoints: 3 }, 2, 60, (s) => 5 + (s % 4), () => 40)
  t.equal(floor.scaling.describe().recommendedEndpoints, 3)
  const unreachable = drive({ ...DEFAULT_SCALING, targetP99Ms: 20 }, 2, 60, wobble, () => 40)
  const s = unreachable.scaling.describe()
  t.equal(s.recommendedEndpoints, null)
  t.match(s.reason, /no endpoint answers within p99 20 ms/)
  t.equal(unreachable.changes.length, 0)
})

t.test('nothing to say before the curves: null with the reason', async (t) => {
  const { scaling } = drive(DEFAULT_SCALING, 2, 10, wobble, () => 40)
  const s = scaling.describe()
  t.equal(s.recommendedEndpoints, null)
  t.match(s.reason, /no endpoint has a latency-versus-in-flight curve yet/)
  t.ok(s.rps! > 150, 'the rate is already measured')
})
