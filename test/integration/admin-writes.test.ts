import { readFile } from 'node:fs/promises'
import t, { type Test } from 'tap'
import { join } from 'node:path'
import { request } from 'undici'
import type { AuditRecord } from '../../src/audit/audit-entry.js'
import { adminToken } from '../../src/config/admin-token.js'
import { DEFAULT_HEALTH } from '../../src/config/build-health.js'
import type { BatonConfig, PolicyConfig } from '../../src/config/types.js'
import { startBaton, type BatonHandle } from '../../src/index.js'
import { testConfig } from '../helpers/baton-config.js'
import { startBackends, type FakeBackend } from '../helpers/fake-backend.js'
import { captureLogger } from '../helpers/healing-rig.js'
import { rawRequest, type RawResponse } from '../helpers/raw-client.js'

const ADMIN_SECRET = 'ops-0123456789abcdef0123456789abcdef'
const READ_SECRET = 'viewer-fedcba9876543210fedcba98'
const ADMIN = { authorization: `Bearer ${ADMIN_SECRET}`, 'content-type': 'application/json' }

interface Rig {
  baton: BatonHandle
  backends: FakeBackend[]
  /** The manual records of the audit file (Baton's own start and stop lines left out), after a flush. */
  audit: () => Promise<AuditRecord[]>
  /** `upstream/endpoint/action` → POST it with a body, as the admin token unless `headers` say otherwise. */
  write: (path: string, body?: unknown, headers?: Record<string, string>) => Promise<RawResponse>
  config: BatonConfig
}

/** Slow start off, so an endpoint back in service takes its full share at once and shares are exact. */
const HEALTH = (maxEjectionFraction: number) => ({
  ...DEFAULT_HEALTH,
  slowStart: { ...DEFAULT_HEALTH.slowStart, windowMs: 0 },
  outlier: { ...DEFAULT_HEALTH.outlier, maxEjectionFraction },
})

/** Real backends behind a real Baton (one upstream "api") with an admin and a read token. */
async function rig(t: Test, names: string[], policy: PolicyConfig = { name: 'round_robin' }, maxEjectionFraction = DEFAULT_HEALTH.outlier.maxEjectionFraction): Promise<Rig> {
  const backends = await startBackends(...names)
  const file = join(t.testdir(), 'audit.log')
  const config = testConfig([{ name: 'api', endpoints: backends.map((b) => b.url), policy, overrides: { health: HEALTH(maxEjectionFraction) } }], {
    admin: { address: '127.0.0.1', port: 0, allowedHosts: [], tokens: [adminToken('ops', 'admin', ADMIN_SECRET), adminToken('viewer', 'read', READ_SECRET)] },
    audit: { enabled: true, file, fileFrom: 'configured', flushIntervalMs: 60_000, maxSizeBytes: 1_048_576, keep: 1 },
  })
  const baton = await startBaton(config, { logger: captureLogger().logger })
  t.teardown(async () => {
    await baton.close()
    await Promise.all(backends.map((b) => b.stop()))
  })
  const audit = async (): Promise<AuditRecord[]> => {
    await baton.audit.flush()
    const text = await readFile(file, 'utf8')
    return text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as AuditRecord).filter((r) => r.actor !== 'baton')
  }
  const write = (path: string, body: unknown = {}, headers: Record<string, string> = ADMIN) =>
    rawRequest(`${baton.adminUrl}/api/upstreams/${path}`, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) })
  return { baton, backends, audit, write, config }
}

const id = (b: FakeBackend) => encodeURIComponent(new URL(b.url).host)

async function upstreams(baton: BatonHandle): Promise<{ name: string; endpoints: { id: string; weight: number; health: { state: string }; manual: Record<string, unknown> }[] }[]> {
  const res = await rawRequest(`${baton.adminUrl}/api/upstreams`, { headers: { authorization: `Bearer ${READ_SECRET}` } })
  return JSON.parse(res.body)
}

/** Which backend answered each of `n` sequential requests through the proxy. */
async function traffic(baton: BatonHandle, n: number): Promise<Record<string, number>> {
  const seen: Record<string, number> = {}
  for (let k = 0; k < n; k++) {
    const res = await request(`${baton.listenerUrls[0]}/x`)
    await res.body.text()
    const name = String(res.headers['x-backend'])
    seen[name] = (seen[name] ?? 0) + 1
  }
  return seen
}

t.test('every write needs an admin token and JSON: 401 without, 403 with a read token, 415 without content-type', async (t) => {
  const { backends, write } = await rig(t, ['a', 'b'])
  const ep = `api/endpoints/${id(backends[0])}`
  for (const action of ['eject', 'uneject', 'drain', 'undrain', 'weight']) {
    const body = action === 'weight' ? { weight: 2 } : {}
    t.equal((await write(`${ep}/${action}`, body, { 'content-type': 'application/json' })).status, 401, `${action}: no token`)
    const read = await write(`${ep}/${action}`, body, { authorization: `Bearer ${READ_SECRET}`, 'content-type': 'application/json' })
    t.equal(read.status, 403, `${action}: read token`)
    t.equal((await write(`${ep}/${action}`, body, { authorization: `Bearer ${ADMIN_SECRET}` })).status, 415, `${action}: not JSON`)
    t.equal((await write(`${ep}/${action}`, body)).status, 200, `${action}: admin token`)
  }
})

t.test('drain and eject take an endpoint out of traffic at once, visible in /api/upstreams; undrain and uneject bring it back', async (t) => {
  const { baton, backends, write, audit } = await rig(t, ['a', 'b'])
  const ep = `api/endpoints/${id(backends[0])}`
  const drained = await write(`${ep}/drain`, { reason: 'deploy 42' })
  t.equal(drained.status, 200)
  const answer = JSON.parse(drained.body)
  t.equal(answer.upstream, 'api')
  t.equal(answer.changed, true)
  t.match(answer.endpoint, { id: new URL(backends[0].url).host, health: { state: 'drained' }, manual: { drained: true, ejectedUntil: null, weight: null } })
  const listed = (await upstreams(baton))[0].endpoints[0]
  t.same([listed.id, listed.health.state, listed.manual], [answer.endpoint.id, 'drained', answer.endpoint.manual], 'GET /api/upstreams shows what the answer did')
  t.same(await traffic(baton, 10), { b: 10 }, 'a drained endpoint gets no new request')
  t.equal(JSON.parse((await write(`${ep}/drain`)).body).changed, false, 'draining again changes nothing')
  t.equal((await write(`${ep}/undrain`)).status, 200)
  t.same(await traffic(baton, 10), { a: 5, b: 5 }, 'undrained: back in the rotation')

  const ejected = JSON.parse((await write(`${ep}/eject`, { duration: '10m', reason: 'flaky disk' })).body)
  t.equal(ejected.limitOverridden, false)
  t.match(ejected.endpoint, { health: { state: 'ejected', ejected: true } })
  const until = Date.parse(ejected.endpoint.manual.ejectedUntil)
  t.ok(until > Date.now() + 9 * 60_000 && until <= Date.now() + 10 * 60_000, 'ejected for the 10 minutes asked')
  t.same(await traffic(baton, 10), { b: 10 }, 'an ejected endpoint gets no new request')
  t.equal((await write(`${ep}/uneject`)).status, 200)
  t.equal((await upstreams(baton))[0].endpoints[0].health.state, 'available')

  const kinds = baton.events.list().map((e) => `${e.kind}:${e.data.actor}`)
  t.same(kinds, ['drain:ops', 'undrain:ops', 'ejected:ops', 'returned:ops'], 'each change is one health event naming the actor')
  t.equal(baton.events.list()[0].cause, 'deploy 42')
  const target = `api/${new URL(backends[0].url).host}`
  t.same(
    (await audit()).map((r) => [r.actor, r.action, r.target, r.reason]),
    [
      ['ops', 'drain', target, 'deploy 42'],
      ['ops', 'drain', target, ''],
      ['ops', 'undrain', target, ''],
      ['ops', 'eject', target, 'flaky disk'],
      ['ops', 'uneject', target, ''],
    ],
    'one audit record per write, the no-op included',
  )
  t.match((await audit())[0], { before: { state: 'available', drained: false }, after: { state: 'drained', drained: true } })
})

t.test('weight 3:1 shifts the round-robin share at once, for every request after the answer', async (t) => {
  const { baton, backends, write } = await rig(t, ['a', 'b'])
  const res = JSON.parse((await write(`api/endpoints/${id(backends[0])}/weight`, { weight: 3 })).body)
  t.match(res.endpoint, { weight: 3, manual: { weight: 3 } })
  t.same(await traffic(baton, 40), { a: 30, b: 10 }, 'smooth weighted round robin: exactly 3 of every 4')
  const event = baton.events.list().at(-1)!
  t.match(event, { kind: 'weight', data: { actor: 'ops', before: 1, after: 3, configWeight: 1 } })
})

t.test('a manual weight survives a reload while the file keeps the weight it had, and yields when the file changes it', async (t) => {
  const { baton, backends, write, config } = await rig(t, ['a', 'b'])
  await write(`api/endpoints/${id(backends[0])}/weight`, { weight: 3 })
  await write(`api/endpoints/${id(backends[1])}/drain`)
  const first = baton.clusters[0]
  /** The same upstream with other weights and a new pool setting: a new Cluster and new pools. */
  const edited = (weights: number[], headersTimeoutMs: number) =>
    testConfig([{ name: 'api', endpoints: backends.map((b) => b.url), weights, overrides: { responseHeadersTimeoutMs: headersTimeoutMs, health: config.upstreams[0].health } }], {
      admin: config.admin,
    })
  t.ok((await baton.reload(edited([1, 1], 4_000))).ok)
  t.not(baton.clusters[0], first, 'the upstream was rebuilt')
  t.match((await upstreams(baton))[0].endpoints, [{ weight: 3, manual: { weight: 3 } }, { health: { state: 'drained' }, manual: { drained: true } }], 'manual weight and drain carried over')
  t.same(await traffic(baton, 6), { a: 6 })
  t.ok((await baton.reload(edited([2, 1], 3_000))).ok)
  t.match((await upstreams(baton))[0].endpoints[0], { weight: 2, manual: { weight: null } }, 'the file changed that weight: the file wins')
})

t.test('unknown upstream or endpoint is 404 with a stable code; a bad body is 400 naming the field', async (t) => {
  const { backends, write } = await rig(t, ['a', 'b'])
  const ep = `api/endpoints/${id(backends[0])}`
  const cases: { path: string; body: unknown; status: number; error: string; field?: string | null }[] = [
    { path: `nope/endpoints/${id(backends[0])}/drain`, body: {}, status: 404, error: 'BATON_UNKNOWN_UPSTREAM' },
    { path: 'api/endpoints/127.0.0.1%3A1/drain', body: {}, status: 404, error: 'BATON_UNKNOWN_ENDPOINT' },
    { path: `${ep}/explode`, body: {}, status: 404, error: 'not_found' },
    { path: `${ep}/weight`, body: { weight: 0 }, status: 400, error: 'BATON_BAD_BODY', field: 'weight' },
    { path: `${ep}/weight`, body: { weight: 2.5 }, status: 400, error: 'BATON_BAD_BODY', field: 'weight' },
    { path: `${ep}/weight`, body: {}, status: 400, error: 'BATON_BAD_BODY', field: 'weight' },
    { path: `${ep}/eject`, body: { duration: 'soon' }, status: 400, error: 'BATON_BAD_BODY', field: 'duration' },
    { path: `${ep}/eject`, body: { duration: '48h' }, status: 400, error: 'BATON_BAD_BODY', field: 'duration' },
    { path: `${ep}/eject`, body: { force: 'yes' }, status: 400, error: 'BATON_BAD_BODY', field: 'force' },
    { path: `${ep}/drain`, body: { color: 'red' }, status: 400, error: 'BATON_BAD_BODY', field: 'color' },
    { path: `${ep}/drain`, body: '{not json', status: 400, error: 'BATON_BAD_BODY', field: null },
    { path: `${ep}/drain`, body: '[1]', status: 400, error: 'BATON_BAD_BODY', field: null },
  ]
  for (const c of cases) {
    const res = await write(c.path, c.body)
    const body = JSON.parse(res.body)
    t.equal(res.status, c.status, `${c.path} ${JSON.stringify(c.body)}`)
    t.equal(body.error, c.error)
    if (c.field !== undefined) t.equal(body.field, c.field, `names ${c.field}`)
  }
})

t.test('maxEjectionPercent: a manual ejection over it is 409 unless force, which says it overrode the limit', async (t) => {
  const { baton, backends, write } = await rig(t, ['a', 'b', 'c', 'd'], { name: 'round_robin' }, 0.25)
  t.equal((await write(`api/endpoints/${id(backends[0])}/eject`)).status, 200, 'one of four: within 25 %')
  const refused = await write(`api/endpoints/${id(backends[1])}/eject`)
  t.equal(refused.status, 409)
  t.match(JSON.parse(refused.body), { error: 'BATON_EJECTION_LIMIT', message: /force.*true/ })
  t.equal((await upstreams(baton))[0].endpoints[1].health.state, 'available', 'refused: nothing changed')
  const forced = JSON.parse((await write(`api/endpoints/${id(backends[1])}/eject`, { force: true })).body)
  t.equal(forced.limitOverridden, true)
  t.match(forced.message, /overridden/)
  t.equal(forced.endpoint.health.state, 'ejected')
  t.match(baton.events.list().at(-1)!.data, { actor: 'ops', limitOverridden: 1 })
  t.same(await traffic(baton, 10), { c: 5, d: 5 })
})

t.test('auth failures reach the audit trail, a burst from one peer collapsed into one line', async (t) => {
  const { baton, audit } = await rig(t, ['a'])
  for (let k = 0; k < 5; k++) await rawRequest(`${baton.adminUrl}/api/upstreams`, { headers: { authorization: 'Bearer wrong-wrong-wrong' } })
  await rawRequest(`${baton.adminUrl}/api/reload`, { method: 'POST', headers: { authorization: `Bearer ${READ_SECRET}`, 'content-type': 'application/json' }, body: '{}' })
  const failures = (await audit()).filter((r) => r.action === 'auth-failure')
  t.equal(failures.length, 1, 'six refusals from one peer within a minute: one line now')
  t.match(failures[0], { actor: 'unknown', target: '/api/upstreams', reason: 'unknown-token', after: { peer: '127.0.0.1', status: 401 } })
  await baton.close()
  const summary = (await audit()).filter((r) => r.action === 'auth-failure')[1]
  t.match(summary, { actor: 'viewer', target: '/api/reload', after: { collapsed: 5, status: 403 }, reason: /5 more refusals from 127\.0\.0\.1/ }, 'the rest summed up when the window closes')
})

t.test('GET /api/routes and /api/config: the route table and the effective config without secrets', async (t) => {
  const { baton } = await rig(t, ['a'])
  const read = { authorization: `Bearer ${READ_SECRET}` }
  const routes = JSON.parse((await rawRequest(`${baton.adminUrl}/api/routes`, { headers: read })).body)
  t.same(routes, [{ name: 'api', host: null, pathPrefix: '/', upstream: 'api', options: { retryNonIdempotent: null, maxBodyBytes: null, allowTrace: false } }])
  const text = (await rawRequest(`${baton.adminUrl}/api/config`, { headers: read })).body
  t.notOk(text.includes(ADMIN_SECRET) || text.includes(READ_SECRET), 'no token secret')
  t.match(JSON.parse(text), { admin: { tokens: [{ name: 'ops', role: 'admin', secret: '[redacted]' }, { name: 'viewer' }] }, upstreams: [{ name: 'api' }] })
})
