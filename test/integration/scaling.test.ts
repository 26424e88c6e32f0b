import t from 'tap'
import { eventually, getText, startRig } from '../helpers/harness.js'

interface ScalingJson {
  enabled: boolean
  recommendedEndpoints: number | null
  currentEndpoints: number
  rps: number | null
  forecastRps: number | null
  targetP99Ms: number
  horizonMs: number
  headroomPercent: number
  reason: string | null
}

t.test('every upstream shows its scaling signal in /api/upstreams and /metrics, on by default', async (t) => {
  const { url, baton } = await startRig(t, ['a', 'b'])
  const admin = baton.adminUrl!
  for (let i = 0; i < 20; i++) await getText(`${url}/`)
  let scaling: ScalingJson | null = null
  const sampled = await eventually(() => {
    void getText(`${admin}/api/upstreams`).then((r) => (scaling = (JSON.parse(r.body) as { scaling: ScalingJson }[])[0].scaling))
    return scaling !== null && scaling.rps !== null
  }, 5_000)
  t.ok(sampled, 'a rate is sampled on the cluster tick')
  const s = scaling! as ScalingJson
  t.match(s, { enabled: true, currentEndpoints: 2, targetP99Ms: 250, horizonMs: 120_000, headroomPercent: 20 })
  t.equal(s.recommendedEndpoints, null, 'no recommendation before any curve is fitted')
  t.match(s.reason, /curve/)
  const metrics = await getText(`${admin}/metrics`)
  t.match(metrics.body, /# TYPE baton_upstream_recommended_endpoints gauge/)
  t.match(metrics.body, /baton_upstream_forecast_requests_per_second\{upstream="up0"\} [0-9.e-]+/)
  t.notMatch(metrics.body, /baton_upstream_recommended_endpoints\{/, 'no series until there is a recommendation')
})
