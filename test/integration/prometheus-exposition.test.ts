import t from 'tap'
import { DEFAULT_RETRY } from '../../src/config/build-health.js'
import { getText, startRig } from '../helpers/harness.js'
import { namingProblems, parsePrometheusText, type Family } from '../helpers/prometheus-text.js'

/** Sum of the samples named `name` in `family` for one endpoint. */
function total(family: Family | undefined, name: string, endpoint: string): number {
  return (family?.samples ?? []).filter((s) => s.name === name && s.labels.endpoint === endpoint).reduce((sum, s) => sum + s.value, 0)
}

t.test('a scrape of a Baton with traffic is valid exposition text, histograms consistent, names conventional', async (t) => {
  const { url, baton, backends } = await startRig(t, ['a', 'b'], { overrides: { responseHeadersTimeoutMs: 200, retry: { ...DEFAULT_RETRY, maxRetries: 0, hedge: { ...DEFAULT_RETRY.hedge, enabled: false } } } })
  const traffic = async (n: number) => {
    for (let i = 0; i < n; i++) await getText(`${url}/slow/${1 + (i % 4) * 5}`) // 1, 6, 11, 16 ms
    await getText(`${url}/status/503`)
    await getText(`${url}/status/404`)
    await getText(`${url}/hang`) // a timeout: a failure, no response
  }
  const scrape = async () => {
    const res = await getText(`${baton.adminUrl!}/metrics`)
    t.equal(res.status, 200)
    t.match(res.headers['content-type'], /^text\/plain; version=0\.0\.4/)
    return parsePrometheusText(res.body) // throws on any violation of the format or of histogram consistency
  }

  await traffic(20)
  const first = await scrape()
  t.same(namingProblems(first), [], 'units in names, _total on counters only, HELP and TYPE on every family')
  const histogram = first.get('baton_upstream_response_seconds')
  t.equal(histogram?.type, 'histogram')
  const endpoints = backends.map((b) => new URL(b.url).host)
  let responses = 0
  for (const endpoint of endpoints) {
    const count = total(histogram, 'baton_upstream_response_seconds_count', endpoint)
    t.equal(count, total(first.get('baton_upstream_responses_total'), 'baton_upstream_responses_total', endpoint), `${endpoint}: one latency per response`)
    t.ok(total(first.get('baton_upstream_requests_total'), 'baton_upstream_requests_total', endpoint) >= count, `${endpoint}: attempts ≥ responses`)
    const les = histogram!.samples.filter((s) => s.name.endsWith('_bucket') && s.labels.endpoint === endpoint).map((s) => s.labels.le)
    t.same(les, ['0.001', '0.0025', '0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '10', '+Inf'])
    responses += count
  }
  t.equal(responses, 22, '20 GETs, a 503 and a 404; the timeout has no latency')
  const sum = histogram!.samples.filter((s) => s.name.endsWith('_sum')).reduce((a, s) => a + s.value, 0)
  t.ok(sum >= 0.16 && sum < 2, `_sum ${sum} s: 20 responses of 1-16 ms (170 ms of delays), two fast ones`)
  const under = (le: string) => histogram!.samples.filter((s) => s.name.endsWith('_bucket') && s.labels.le === le).reduce((a, s) => a + s.value, 0)
  t.ok(under('0.001') < under('0.025'), 'the 6-16 ms responses sit above 1 ms')
  t.ok(under('0.1') >= 20, 'all but stragglers under 100 ms')
  t.equal(total(first.get('baton_upstream_errors_total'), 'baton_upstream_errors_total', endpoints[0]) + total(first.get('baton_upstream_errors_total'), 'baton_upstream_errors_total', endpoints[1]), 1, 'the timeout')

  await traffic(8)
  const second = await scrape()
  const before = new Map((histogram?.samples ?? []).map((s) => [s.name + JSON.stringify(s.labels), s.value]))
  for (const s of second.get('baton_upstream_response_seconds')!.samples) {
    const was = before.get(s.name + JSON.stringify(s.labels))
    t.ok(was !== undefined && s.value >= was, `${s.name}{le=${s.labels.le ?? ''}} ${was} → ${s.value}`)
  }
  t.equal(
    endpoints.reduce((a, e) => a + total(second.get('baton_upstream_response_seconds'), 'baton_upstream_response_seconds_count', e), 0),
    32,
    'the second scrape counts both rounds',
  )
})
