import t from 'tap'
import { request } from 'undici'
import { DEFAULT_HEALTH } from '../../src/config/build-health.js'
import type { AnomalyConfig } from '../../src/config/types.js'
import { startBaton } from '../../src/index.js'
import type { HealthEvent } from '../../src/health/event-log.js'
import { testConfig } from '../helpers/baton-config.js'
import { getText } from '../helpers/harness.js'
import { namingProblems, parsePrometheusText } from '../helpers/prometheus-text.js'
import { ScriptedBackend } from '../helpers/scripted-backend.js'

/** Short windows so the test runs in seconds: samples every 100 ms over 500 ms, a 2 s baseline learned for 1 s. */
const FAST: AnomalyConfig = {
  enabled: true,
  intervalMs: 100,
  windowSamples: 5,
  baselineMs: 2_000,
  warmupMs: 1_000,
  enterAfter: 2,
  exitAfter: 3,
  relearnAfterMs: 60_000,
  bandWidth: 4,
}

/** Requests from 4 clients in a loop until `until()` or `limitMs` (every load loop is bounded in time). */
async function load(url: string, until: () => Promise<boolean>, limitMs: number): Promise<boolean> {
  const deadline = Date.now() + limitMs
  let done = false
  const client = async () => {
    while (!done && Date.now() < deadline) {
      const res = await request(url)
      await res.body.dump()
    }
  }
  const clients = [client(), client(), client(), client()]
  while (!done && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100))
    done = await until()
  }
  done = true
  await Promise.all(clients)
  return Date.now() < deadline
}

t.test('a backend that starts answering 500s: an error anomaly starts (event, gauge 1, /api/anomalies), then ends after it recovers', async (t) => {
  const backend = await new ScriptedBackend('a').start(0)
  // Outlier ejection off: the 500s must reach clients, not be replaced by "no endpoint" answers.
  const health = { ...DEFAULT_HEALTH, outlier: { ...DEFAULT_HEALTH.outlier, enabled: false } }
  const baton = await startBaton(testConfig([{ name: 'api', endpoints: [backend.url], overrides: { health } }], { anomaly: FAST }))
  t.teardown(async () => {
    await baton.close()
    await backend.stop()
  })
  const admin = baton.adminUrl!
  const url = `${baton.listenerUrls[0]}/x`
  const events = async (kind: string): Promise<HealthEvent[]> =>
    (JSON.parse((await getText(`${admin}/api/events`)).body) as { events: HealthEvent[] }).events.filter((e) => e.kind === kind && e.data.signal === 'error')
  const active = async (): Promise<number | undefined> => {
    const families = parsePrometheusText((await getText(`${admin}/metrics`)).body)
    return families.get('baton_anomaly_active')?.samples.find((s) => s.labels.scope === 'upstream' && s.labels.name === 'api' && s.labels.signal === 'error')?.value
  }

  const learnedUntil = Date.now() + 2_000
  t.ok(await load(url, async () => Date.now() > learnedUntil, 5_000), 'a baseline of 200s')
  t.equal(await active(), 0, 'no anomaly on healthy traffic')
  backend.mode = 'status'
  backend.status = 500
  t.ok(await load(url, async () => (await events('anomaly-start')).length >= 2, 10_000), 'anomaly-start events for the upstream and its route')
  const start = (await events('anomaly-start')).find((e) => e.data.scope === 'upstream')!
  t.match(start, { upstream: 'api', data: { signal: 'error', scope: 'upstream', name: 'api' } })
  t.ok((start.data.observed as number) > (start.data.expectedHigh as number), `observed ${start.data.observed} above the band's ${start.data.expectedHigh}`)
  t.equal(await active(), 1, 'baton_anomaly_active{scope="upstream",name="api",signal="error"} 1')
  const listing = JSON.parse((await getText(`${admin}/api/anomalies`)).body) as { active: { scope: string; signal: string }[] }
  t.same(listing.active.filter((a) => a.signal === 'error').map((a) => a.scope).sort(), ['route', 'upstream'])
  const families = parsePrometheusText((await getText(`${admin}/metrics`)).body)
  t.same(namingProblems(families), [], 'the new series follow the naming conventions')
  const route5xx = families.get('baton_route_requests_total')!.samples.find((s) => s.labels.route === 'api' && s.labels.class === '5xx')!
  t.ok(route5xx.value > 0, `baton_route_requests_total{route="api",class="5xx"} ${route5xx.value}`)
  t.equal(families.get('baton_anomalies_total')!.samples.find((s) => s.labels.scope === 'upstream' && s.labels.signal === 'error')!.value, 1)

  backend.mode = 'ok'
  t.ok(await load(url, async () => (await events('anomaly-end')).length >= 2, 10_000), 'anomaly-end events after the recovery')
  t.equal(await active(), 0, 'the gauge is back to 0')
})
