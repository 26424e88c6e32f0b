import t from 'tap'
import { EventLog } from '../../../src/health/event-log.js'
import type { UpstreamView } from '../../../src/admin/types.js'
import { buildRegistry } from '../../../src/admin/prometheus.js'
import { fakeEndpoint, fakeUpstream } from '../metrics/fake-upstreams.js'

/** The value of the one sample line `series{labels} value` in Prometheus text, or null. */
function sample(text: string, series: string): number | null {
  const line = text.split('\n').find((l) => l.startsWith(series + ' '))
  return line === undefined ? null : Number(line.slice(series.length + 1))
}

t.test('per-endpoint series are read from the stats at scrape time', async (t) => {
  const a = fakeEndpoint('10.0.0.1:80', 3, 2)
  const b = fakeEndpoint('10.0.0.2:80')
  for (let i = 0; i < 5; i++) a.stats.recordResponse(200, 10)
  a.stats.recordResponse(503, 20)
  a.stats.recordFailure('BATON_UPSTREAM_CONNECT', false)
  a.stats.recordFailure('BATON_CLIENT_ABORT', true)
  const registry = buildRegistry(() => [fakeUpstream('api', [a, b])], new EventLog())
  const text = await registry.metrics()
  const labels = 'upstream="api",endpoint="10.0.0.1:80"'
  const expected: [string, number][] = [
    [`baton_upstream_requests_total{${labels},class="2xx"}`, 5],
    [`baton_upstream_requests_total{${labels},class="5xx"}`, 1],
    [`baton_upstream_requests_total{${labels},class="4xx"}`, 0],
    [`baton_upstream_requests_total{upstream="api",endpoint="10.0.0.2:80",class="2xx"}`, 0],
    [`baton_upstream_errors_total{${labels},code="BATON_UPSTREAM_CONNECT"}`, 1],
    [`baton_upstream_client_aborts_total{${labels}}`, 1],
    [`baton_upstream_inflight{${labels}}`, 2],
    [`baton_upstream_endpoint_weight{${labels}}`, 3],
    [`baton_upstream_latency_seconds{${labels},quantile="0.5"}`, 0.01],
    [`baton_upstream_latency_seconds{${labels},quantile="0.999"}`, 0.02],
  ]
  for (const [series, value] of expected) {
    const actual = sample(text, series)
    // latencies are HDR bucket tops: within 0.1 % (3 significant digits); counts are exact at that tolerance
    t.ok(actual !== null && Math.abs(actual - value) <= value * 0.001, `${series} = ${actual}, expected ${value}`)
  }
  t.notMatch(text, /code="BATON_CLIENT_ABORT"/, 'a client abort is not a backend error')
  t.match(text, /# TYPE baton_upstream_requests_total counter/)
  t.match(text, /# TYPE baton_upstream_latency_seconds gauge/)
  t.match(text, /^baton_process_cpu_user_seconds_total /m, 'default process metrics, prefixed')
  t.match(text, /^baton_nodejs_eventloop_lag_seconds /m)
})

t.test('each scrape shows current values, and removed endpoints disappear', async (t) => {
  const a = fakeEndpoint('a:1')
  const b = fakeEndpoint('b:1')
  let upstreams: UpstreamView[] = [fakeUpstream('api', [a, b])]
  const registry = buildRegistry(() => upstreams, new EventLog())
  a.stats.recordResponse(200, 1)
  const series = 'baton_upstream_requests_total{upstream="api",endpoint="a:1",class="2xx"}'
  t.equal(sample(await registry.metrics(), series), 1)
  a.stats.recordResponse(200, 1)
  a.inflight = 4
  const second = await registry.metrics()
  t.equal(sample(second, series), 2, 'a counter re-read, not added twice')
  t.equal(sample(second, 'baton_upstream_inflight{upstream="api",endpoint="a:1"}'), 4)
  upstreams = [fakeUpstream('api', [a])]
  t.notMatch(await registry.metrics(), /endpoint="b:1"/)
})

t.test('registries are independent of each other and of the global one', async (t) => {
  const one = buildRegistry(() => [], new EventLog())
  const two = buildRegistry(() => [], new EventLog())
  t.not(one, two)
  t.match(await two.metrics(), /baton_process_cpu_user_seconds_total/)
})

t.test('health series: events by kind, panic, availability, routability, retry budget', async (t) => {
  const events = new EventLog()
  const upstream = fakeUpstream('api', [fakeEndpoint('a:1'), fakeEndpoint('b:1')], 'round_robin', events)
  events.push({ timeMs: 0, upstream: 'api', endpoint: 'a:1', kind: 'ejected', cause: 'test', data: {} })
  const text = await buildRegistry(() => [upstream], events).metrics()
  const expected: [string, number][] = [
    ['baton_health_events_total{upstream="api",kind="ejected"}', 1],
    ['baton_health_events_total{upstream="api",kind="drain"}', 0],
    ['baton_upstream_panic{upstream="api"}', 0],
    ['baton_upstream_endpoints_available{upstream="api"}', 2],
    ['baton_endpoint_routed{upstream="api",endpoint="b:1"}', 1],
    ['baton_outlier_detections_total{upstream="api",reason="latency"}', 0],
    ['baton_retries_refused_total{upstream="api"}', 0],
    ['baton_retries_total{upstream="api"}', 0],
  ]
  for (const [series, value] of expected) t.equal(sample(text, series), value, series)
})
