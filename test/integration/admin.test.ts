import t from 'tap'
import { DEFAULT_RETRY } from '../../src/config/build-health.js'
import { getText, startRig } from '../helpers/harness.js'

interface EndpointJson {
  id: string
  requests: number
  inflight: number
  byClass: Record<string, number>
  errors: number
  errorsByCode: Record<string, number>
  latencyMs: { p50: number; p99: number }
}

t.test('proxied traffic shows in /api/upstreams and /metrics per endpoint', async (t) => {
  const { url, baton, backends } = await startRig(t, ['a', 'b'], { overrides: { responseHeadersTimeoutMs: 200, retry: { ...DEFAULT_RETRY, maxRetries: 0, hedge: { ...DEFAULT_RETRY.hedge, enabled: false } } } })
  for (let i = 0; i < 10; i++) await getText(`${url}/slow/5`)
  await getText(`${url}/status/503`)
  await getText(`${url}/status/404`)
  await getText(`${url}/hang`)
  const admin = baton.adminUrl!
  const health = await getText(`${admin}/healthz`)
  t.equal(health.status, 200)

  const api = await getText(`${admin}/api/upstreams`)
  const [upstream] = JSON.parse(api.body) as { name: string; endpoints: EndpointJson[] }[]
  const endpoints = upstream.endpoints
  t.same(endpoints.map((e) => e.id).sort(), backends.map((b) => new URL(b.url).host).sort())
  const total = (f: (e: EndpointJson) => number) => endpoints.reduce((s, e) => s + f(e), 0)
  t.equal(total((e) => e.byClass['2xx'] ?? 0), 10, '2xx counted')
  t.equal(total((e) => e.byClass['5xx'] ?? 0), 1, '5xx counted')
  t.equal(total((e) => e.byClass['4xx'] ?? 0), 1, '4xx counted')
  t.equal(total((e) => e.errorsByCode.BATON_UPSTREAM_TIMEOUT ?? 0), 1, 'timeout counted by code')
  t.equal(total((e) => e.inflight), 0)
  t.ok(endpoints.every((e) => e.latencyMs.p50 >= 4 && e.latencyMs.p50 < 200), 'p50 near the 5 ms service time')

  const metrics = await getText(`${admin}/metrics`)
  t.match(metrics.body, /baton_upstream_requests_total\{[^}]*upstream="up0"[^}]*\} \d+/)
  t.match(metrics.body, /baton_upstream_latency_seconds\{[^}]*quantile="0.99"[^}]*\} [0-9.e-]+/)
  t.match(metrics.body, /baton_upstream_errors_total\{[^}]*code="BATON_UPSTREAM_TIMEOUT"[^}]*\} 1/)
})
