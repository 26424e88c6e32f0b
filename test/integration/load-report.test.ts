import { createServer } from 'node:http'
import t, { type Test } from 'tap'
import { request } from 'undici'
import { defaultPolicy } from '../../src/config/build.js'
import { startBaton } from '../../src/index.js'
import { testConfig } from '../helpers/baton-config.js'
import { TrackedServer } from '../helpers/tracked-server.js'

/** A backend on 127.0.0.1 reporting `report` in endpoint-load-metrics with every answer. */
async function reporting(t: Test, report: string): Promise<string> {
  const server = new TrackedServer(createServer((_req, res) => res.writeHead(200, { 'endpoint-load-metrics': report, 'x-kept': 'yes' }).end('ok')))
  const port = await server.listen(0)
  t.teardown(() => server.close())
  return `http://127.0.0.1:${port}`
}

interface ExplainJson {
  upstream: string
  endpoints: { id: string; reportedLoad?: number; loadCostMs?: number; costMs: number; predictedLatencyMs: number }[]
}

t.test('the load report is stripped from the response and shown in /api/model/explain', async (t) => {
  const busy = await reporting(t, 'TEXT cpu_utilization=0.9, rps_fractional=50')
  const idle = await reporting(t, 'TEXT cpu_utilization=0.1')
  const broken = await reporting(t, 'TEXT cpu_utilization=lots')
  const config = testConfig([
    { endpoints: [busy, idle, broken], policy: defaultPolicy('adaptive'), overrides: { loadReport: { header: 'endpoint-load-metrics', format: 'orca-text', metric: 'cpu_utilization', weight: 1 } } },
  ])
  const baton = await startBaton(config)
  t.teardown(() => baton.close())
  for (let i = 0; i < 30; i++) {
    const res = await request(baton.listenerUrls[0])
    await res.body.text()
    t.equal(res.headers['endpoint-load-metrics'], undefined, 'never reaches the client')
    t.equal(res.headers['x-kept'], 'yes', 'other headers pass')
  }
  const res = await request(`${baton.adminUrl}/api/model/explain`)
  const [explain] = (await res.body.json()) as ExplainJson[]
  const byId = new Map(explain.endpoints.map((e) => [e.id, e]))
  const busyLoad = byId.get(new URL(busy).host)!
  const idleLoad = byId.get(new URL(idle).host)!
  const brokenLoad = byId.get(new URL(broken).host)!
  t.ok(busyLoad.reportedLoad! > 0.7 && busyLoad.reportedLoad! <= 0.9, `busy: ${busyLoad.reportedLoad}`)
  t.ok(idleLoad.reportedLoad! > 0.07 && idleLoad.reportedLoad! <= 0.1, `idle: ${idleLoad.reportedLoad}`)
  t.equal(brokenLoad.reportedLoad, 0, 'a malformed report is ignored')
  t.equal(busyLoad.loadCostMs, busyLoad.predictedLatencyMs * busyLoad.reportedLoad!)
})

t.test('without loadReport the header passes through untouched and explain has no load', async (t) => {
  const backend = await reporting(t, 'TEXT cpu_utilization=0.5')
  const baton = await startBaton(testConfig([{ endpoints: [backend], policy: defaultPolicy('adaptive') }]))
  t.teardown(() => baton.close())
  const res = await request(baton.listenerUrls[0])
  await res.body.text()
  t.equal(res.headers['endpoint-load-metrics'], 'TEXT cpu_utilization=0.5')
  const [explain] = (await (await request(`${baton.adminUrl}/api/model/explain`)).body.json()) as ExplainJson[]
  t.equal(explain.endpoints[0].reportedLoad, undefined)
})
