import t from 'tap'
import { EventLog } from '../../../src/health/event-log.js'
import type { UpstreamView } from '../../../src/admin/types.js'
import { buildRegistry } from '../../../src/admin/prometheus.js'
import { fakeEndpoint, fakeUpstream } from '../metrics/fake-upstreams.js'
import { namingProblems, parsePrometheusText, type Family } from '../../helpers/prometheus-text.js'
import { AdaptivePolicy } from '../../../src/balancer/policies/adaptive.js'
import { defaultPolicy } from '../../../src/config/build.js'
import { ManualClock } from '../../../src/util/clock.js'
import { SeededRng } from '../../../src/util/rng.js'

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
    [`baton_upstream_requests_total{${labels}}`, 8],
    [`baton_upstream_responses_total{${labels},class="2xx"}`, 5],
    [`baton_upstream_responses_total{${labels},class="5xx"}`, 1],
    [`baton_upstream_responses_total{${labels},class="4xx"}`, 0],
    [`baton_upstream_responses_total{upstream="api",endpoint="10.0.0.2:80",class="2xx"}`, 0],
    [`baton_upstream_response_seconds_bucket{${labels},le="0.005"}`, 0],
    [`baton_upstream_response_seconds_bucket{${labels},le="0.01"}`, 5],
    [`baton_upstream_response_seconds_bucket{${labels},le="0.025"}`, 6],
    [`baton_upstream_response_seconds_bucket{${labels},le="+Inf"}`, 6],
    [`baton_upstream_response_seconds_sum{${labels}}`, 0.07],
    [`baton_upstream_response_seconds_count{${labels}}`, 6],
    [`baton_upstream_response_seconds_count{upstream="api",endpoint="10.0.0.2:80"}`, 0],
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
  const families = parsePrometheusText(text)
  t.same(namingProblems(families), [], 'names follow the conventions')
  t.equal(families.get('baton_upstream_response_seconds')?.type, 'histogram')
  t.equal(families.get('baton_upstream_responses_total')?.type, 'counter')
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
  const series = 'baton_upstream_responses_total{upstream="api",endpoint="a:1",class="2xx"}'
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

/** The one sample of `family` named `name` whose labels include `labels`, or undefined. */
function find(family: Family | undefined, name: string, labels: Record<string, string>): number | undefined {
  return family?.samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value
}

t.test('the latency histogram counts every response since start, across rollovers, and never decreases', async (t) => {
  const a = fakeEndpoint('a:1')
  const registry = buildRegistry(() => [fakeUpstream('api', [a])], new EventLog())
  const labels = { upstream: 'api', endpoint: 'a:1' }
  const name = 'baton_upstream_response_seconds'
  let before = new Map<string, number>()
  for (let interval = 0; interval < 6; interval++) {
    for (let i = 0; i < 10; i++) a.stats.recordResponse(200, 0.5 + interval * 3 + i * 0.1) // 0.5 ms .. 16.4 ms
    a.stats.rollover(interval * 10_000) // EndpointStats keeps only the last two intervals as HDR histograms
    const histogram = parsePrometheusText(await registry.metrics()).get(name)
    t.equal(find(histogram, `${name}_count`, labels), (interval + 1) * 10, `interval ${interval}: every response so far`)
    const now = new Map<string, number>()
    for (const s of histogram!.samples) now.set(s.name + (s.labels.le ?? ''), s.value)
    for (const [key, value] of before) t.ok(now.get(key)! >= value, `${key} did not decrease`)
    before = now
  }
  t.equal(before.get(`${name}_bucket0.001`), 6, 'the first interval\'s six responses at 0.5..1.0 ms (le is inclusive)')
  t.equal(before.get(`${name}_bucket+Inf`), 60)
  const sumMs = [...Array(6).keys()].reduce((s, k) => s + 10 * (0.5 + k * 3) + 4.5, 0)
  t.ok(Math.abs(before.get(`${name}_sum`)! - sumMs / 1000) < 1e-9, `_sum ${before.get(`${name}_sum`)} s = ${sumMs} ms`)
})

t.test('default metrics: no gauge ends in _total; counters keep their _total', async (t) => {
  const families = parsePrometheusText(await buildRegistry(() => [], new EventLog()).metrics())
  for (const f of families.values()) {
    if (f.name.endsWith('_total')) t.equal(f.type, 'counter', `${f.name} is a counter`)
  }
  t.notOk(families.has('baton_nodejs_active_handles_total'), 'the sum-of-gauges duplicate is gone')
  t.equal(families.get('baton_nodejs_active_handles')?.type, 'gauge', 'the per-type gauge stays')
  t.equal(families.get('baton_process_cpu_seconds_total')?.type, 'counter')
  t.same(namingProblems(families), [])
})

t.test('baton_model_exploration_ratio: the learned policy’s exploration share per upstream, none without a model', async (t) => {
  const policy = new AdaptivePolicy({ ...defaultPolicy('adaptive'), explorationFraction: 0.01 }, { clock: new ManualClock(0), rng: new SeededRng(1) })
  policy.tick(0)
  for (let k = 0; k < 1_000; k++) if (policy.exploration.grant() && k % 2 === 0) policy.exploration.spend()
  policy.tick(10_000)
  const learned = { ...fakeUpstream('learned', [fakeEndpoint('10.0.0.1:80')], 'adaptive'), model: policy.manager }
  const text = await buildRegistry(() => [learned, fakeUpstream('plain', [fakeEndpoint('10.0.0.2:80')])], new EventLog()).metrics()
  t.equal(sample(text, 'baton_model_exploration_ratio{upstream="learned"}'), policy.manager.explorationShare())
  t.ok(policy.manager.explorationShare() > 0 && policy.manager.explorationShare() <= 0.01)
  t.notMatch(text, /baton_model_exploration_ratio\{upstream="plain"\}/, 'no model, no series')
})
