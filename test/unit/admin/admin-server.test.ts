import t, { type Test } from 'tap'
import { EventLog } from '../../../src/health/event-log.js'
import { Gauge, Registry } from 'prom-client'
import { Client, request } from 'undici'
import { startAdminServer, type AdminServer } from '../../../src/admin/admin-server.js'
import type { AdminSource, UpstreamView } from '../../../src/admin/types.js'
import { NO_AUDIT_TRAIL } from '../../../src/audit/audit-trail.js'
import { adminToken } from '../../../src/config/admin-token.js'
import { defaultAdmin } from '../../../src/config/build-admin.js'
import { buildRegistry } from '../../../src/admin/prometheus.js'
import { ManualClock } from '../../../src/util/clock.js'
import { createLogger } from '../../../src/util/logger.js'
import { fakeEndpoint, fakeUpstream } from '../metrics/fake-upstreams.js'
import { testConfig } from '../../helpers/baton-config.js'

const LOOPBACK = defaultAdmin({ port: 0 })

/** What the admin server reads; not draining, no config file to reload, a config without upstreams, audit records dropped. */
function adminSource(upstreams: () => readonly UpstreamView[], events = new EventLog()): AdminSource {
  const config = testConfig([])
  return {
    upstreams,
    events,
    anomalies: null,
    draining: () => false,
    reload: async () => ({ ok: false, errors: ['no config file in this test'] }),
    config: () => config,
    audit: NO_AUDIT_TRAIL,
    readAudit: (query) => NO_AUDIT_TRAIL.read(query),
  }
}

/** A real admin server on a free loopback port, closed after the test. */
async function startAdmin(t: Test, upstreams: UpstreamView[], registry = buildRegistry(() => upstreams, new EventLog()), clock = new ManualClock()): Promise<AdminServer> {
  const admin = await startAdminServer(LOOPBACK, adminSource(() => upstreams), { clock, logger: createLogger('silent'), registry })
  t.teardown(() => admin.close())
  return admin
}

async function get(url: string, method: 'GET' | 'HEAD' | 'POST' = 'GET') {
  const res = await request(url, { method })
  return { status: res.statusCode, headers: res.headers, body: await res.body.text() }
}

/** One upstream of two endpoints with a little traffic recorded. */
function trafficked(): UpstreamView[] {
  const a = fakeEndpoint('10.0.0.1:8080', 2, 1)
  const b = fakeEndpoint('10.0.0.2:8080')
  for (let i = 0; i < 3; i++) a.stats.recordResponse(200, 4)
  a.stats.recordResponse(404, 4)
  a.stats.recordFailure('BATON_UPSTREAM_TIMEOUT', false)
  a.stats.recordFailure('BATON_CLIENT_ABORT', true)
  return [fakeUpstream('api', [a, b], 'least_request')]
}

t.test('binds a real port and answers /healthz', async (t) => {
  const admin = await startAdmin(t, [])
  t.match(admin.url, /^http:\/\/127\.0\.0\.1:[1-9]\d*$/)
  const res = await get(`${admin.url}/healthz?probe=1`)
  t.equal(res.status, 200)
  t.match(res.headers['content-type'], /^application\/json/)
  t.same(JSON.parse(res.body), { status: 'ok' })
})

t.test('/metrics serves the registry in Prometheus text', async (t) => {
  const upstreams = trafficked()
  const registry = buildRegistry(() => upstreams, new EventLog())
  const admin = await startAdmin(t, upstreams, registry)
  const res = await get(`${admin.url}/metrics`)
  t.equal(res.status, 200)
  t.equal(res.headers['content-type'], registry.contentType)
  const labels = 'upstream="api",endpoint="10.0.0.1:8080"'
  const lines = [
    `baton_upstream_requests_total{${labels}} 6`,
    `baton_upstream_responses_total{${labels},class="2xx"} 3`,
    `baton_upstream_responses_total{${labels},class="4xx"} 1`,
    `baton_upstream_response_seconds_bucket{${labels},le="0.0025"} 0`,
    `baton_upstream_response_seconds_bucket{${labels},le="0.005"} 4`,
    `baton_upstream_response_seconds_count{${labels}} 4`,
    `baton_upstream_response_seconds_sum{${labels}} 0.016`,
    `baton_upstream_errors_total{${labels},code="BATON_UPSTREAM_TIMEOUT"} 1`,
    `baton_upstream_client_aborts_total{${labels}} 1`,
    `baton_upstream_inflight{${labels}} 1`,
    `baton_upstream_endpoint_weight{${labels}} 2`,
    `baton_upstream_latency_seconds{${labels},quantile="0.99"} 0.004`,
  ]
  for (const line of lines) t.ok(res.body.split('\n').includes(line), line)
})

t.test('/api/upstreams lists every endpoint with its live state and statistics', async (t) => {
  const upstreams = trafficked()
  const clock = new ManualClock(2_000)
  const admin = await startAdmin(t, upstreams, undefined, clock)
  const res = await get(`${admin.url}/api/upstreams`)
  t.equal(res.status, 200)
  t.equal(res.headers['cache-control'], 'no-store')
  const body = JSON.parse(res.body)
  t.match(body[0].health, { panic: false, available: 2, ejected: 0 }, 'upstream health')
  t.match(body[0].retryBudget, { active: 0, retrying: 0, refused: 0, granted: 0 })
  t.match(body[0].admission, { adaptive: true, limit: 100, cap: 100, inflight: 0, queued: 0, shedLevel: 0, breakers: { maxRequests: { threshold: 1024, open: false } } }, 'admission: the default limit, no queue, breakers closed')
  t.match(body[0].endpoints[0].health, { state: 'available', routed: true, ejected: false, slowStartFactor: 1 })
  t.equal(body[0].endpoints[0].lastCheck, null, 'no active checks configured')
  t.equal(body[0].scaling, null, 'a fake upstream without a scaling signal')
  t.equal(body[0].storm, null, 'storm damping: off in this view')
  t.equal(body[0].retryAfterHolds, 0)
  t.equal(body[0].endpoints[0].retryAfterHoldMs, 0, 'no Retry-After hold')
  for (const u of body) {
    delete u.health
    delete u.retryBudget
    delete u.storm
    delete u.retryAfterHolds
    delete u.scaling
    delete u.admission
    for (const e of u.endpoints) {
      delete e.health
      delete e.lastCheck
      delete e.retryAfterHoldMs
    }
  }
  t.same(body, [
    {
      name: 'api',
      policy: 'least_request',
      endpoints: [
        {
          id: '10.0.0.1:8080',
          url: 'http://10.0.0.1:8080',
          weight: 2,
          inflight: 1,
          tunnels: 0,
          manual: { drained: false, ejectedUntil: null, weight: null },
          requests: 6,
          byClass: { '1xx': 0, '2xx': 3, '3xx': 0, '4xx': 1, '5xx': 0 },
          errors: 1,
          errorsByCode: { BATON_UPSTREAM_TIMEOUT: 1 },
          clientAborts: 1,
          rps: 3, // 6 finished attempts in the 2 s since the stats started
          latencyMs: { p50: 4, p90: 4, p99: 4, p999: 4, max: 4, mean: 4, count: 4 },
        },
        {
          id: '10.0.0.2:8080',
          url: 'http://10.0.0.2:8080',
          weight: 1,
          inflight: 0,
          tunnels: 0,
          manual: { drained: false, ejectedUntil: null, weight: null },
          requests: 0,
          byClass: { '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 },
          errors: 0,
          errorsByCode: {},
          clientAborts: 0,
          rps: 0,
          latencyMs: { p50: 0, p90: 0, p99: 0, p999: 0, max: 0, mean: 0, count: 0 },
        },
      ],
    },
  ])
})

t.test('unknown paths are 404 and other methods 405 with Allow; HEAD works where GET does', async (t) => {
  const admin = await startAdmin(t, [])
  const cases: { method: 'GET' | 'HEAD' | 'POST'; path: string; status: number; error: string | null; allow: string | null }[] = [
    { method: 'GET', path: '/nope', status: 404, error: 'not_found', allow: null },
    { method: 'GET', path: '/healthz/', status: 404, error: 'not_found', allow: null },
    { method: 'POST', path: '/nope', status: 404, error: 'not_found', allow: null },
    { method: 'POST', path: '/healthz', status: 405, error: 'method_not_allowed', allow: 'GET, HEAD' },
    { method: 'POST', path: '/api/upstreams', status: 405, error: 'method_not_allowed', allow: 'GET, HEAD' },
    { method: 'HEAD', path: '/healthz', status: 200, error: null, allow: null },
  ]
  for (const c of cases) {
    const res = await get(`${admin.url}${c.path}`, c.method)
    const name = `${c.method} ${c.path}`
    t.equal(res.status, c.status, name)
    t.equal(res.headers.allow, c.allow ?? undefined, `${name} Allow`)
    if (c.error !== null) t.equal(JSON.parse(res.body).error, c.error, `${name} body`)
    else t.equal(res.body, '', `${name} has no body`)
  }
})

t.test('a failing scrape is a 500 and the server keeps serving', async (t) => {
  const registry = new Registry()
  new Gauge({
    name: 'broken',
    help: 'collect throws',
    registers: [registry],
    collect() {
      throw new Error('boom')
    },
  })
  const admin = await startAdmin(t, [], registry)
  const res = await get(`${admin.url}/metrics`)
  t.equal(res.status, 500)
  t.equal(JSON.parse(res.body).error, 'internal_error')
  t.equal((await get(`${admin.url}/healthz`)).status, 200)
})

t.test('close() does not wait for idle keep-alive connections', async (t) => {
  const admin = await startAdminServer(LOOPBACK, adminSource(() => []), { clock: new ManualClock(), logger: createLogger('silent'), registry: new Registry() })
  const client = new Client(admin.url, { keepAliveTimeout: 60_000 })
  t.teardown(() => client.destroy())
  const res = await client.request({ path: '/healthz', method: 'GET' })
  await res.body.text()
  const started = Date.now()
  await admin.close()
  t.ok(Date.now() - started < 500, `closed in ${Date.now() - started} ms with a keep-alive connection open`)
  await t.rejects(request(`${admin.url}/healthz`), 'no longer accepting')
})

t.test('close() cuts a response still in progress after a short grace', async (t) => {
  const registry = new Registry()
  new Gauge({ name: 'stuck', help: 'never finishes collecting', registers: [registry], collect: () => new Promise<void>(() => {}) })
  const admin = await startAdminServer(LOOPBACK, adminSource(() => []), { clock: new ManualClock(), logger: createLogger('silent'), registry })
  const pending = request(`${admin.url}/metrics`)
  await new Promise((r) => setTimeout(r, 50))
  const started = Date.now()
  await admin.close()
  const took = Date.now() - started
  t.ok(took >= 900 && took < 3_000, `closed after ${took} ms`)
  await t.rejects(pending, 'the stuck request was cut')
})

t.test('a port already in use rejects start', async (t) => {
  const first = await startAdmin(t, [])
  const port = Number(new URL(first.url).port)
  await t.rejects(
    startAdminServer(defaultAdmin({ port }), adminSource(() => []), { clock: new ManualClock(), logger: createLogger('silent'), registry: new Registry() }),
    { code: 'EADDRINUSE' },
  )
})

t.test('/api/events serves the event ring, filtered by since and limit; a bad query is 400', async (t) => {
  const events = new EventLog()
  for (let k = 1; k <= 3; k++) events.push({ timeMs: k * 1_000, upstream: 'api', endpoint: `e${k}`, kind: 'ejected', cause: 'consecutive-5xx', data: { k } })
  const admin = await startAdminServer(LOOPBACK, adminSource(() => [], events), { clock: new ManualClock(), logger: createLogger('silent'), registry: new Registry() })
  t.teardown(() => admin.close())
  const all = JSON.parse((await get(`${admin.url}/api/events`)).body)
  t.same(all.events.map((e: { endpoint: string }) => e.endpoint), ['e1', 'e2', 'e3'], 'oldest first')
  t.equal(all.counts.ejected, 3)
  const recent = JSON.parse((await get(`${admin.url}/api/events?since=2000&limit=1`)).body)
  t.same(recent.events.map((e: { endpoint: string }) => e.endpoint), ['e3'], 'since 2000, newest one')
  for (const query of ['since=abc', 'limit=0', 'limit=1.5', 'since=']) {
    const res = await get(`${admin.url}/api/events?${query}`)
    t.equal(res.status, 400, query)
    t.equal(JSON.parse(res.body).error, 'bad_query', `${query}: error code`)
  }
})

t.test('refuses to listen off loopback without a token; with one it may', async (t) => {
  const deps = { clock: new ManualClock(), logger: createLogger('silent'), registry: new Registry() }
  const source = adminSource(() => [])
  for (const address of ['0.0.0.0', '::', '10.0.0.5', 'admin.lan']) {
    await t.rejects(startAdminServer(defaultAdmin({ address, port: 0 }), source, deps), /refusing to start the admin API on .* without a token/, address)
  }
  const guarded = await startAdminServer(defaultAdmin({ address: 'localhost', port: 0, tokens: [adminToken('ops', 'admin', 'x'.repeat(20))] }), source, deps)
  t.teardown(() => guarded.close())
  t.equal((await get(`${guarded.url}/api/upstreams`)).status, 401, 'a token configured: reads need it')
  t.equal((await get(`${guarded.url}/healthz`)).status, 200)
})
