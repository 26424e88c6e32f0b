import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { inspect } from 'node:util'
import { pino, type Logger } from 'pino'
import t, { type Test } from 'tap'
import { loadConfigFile } from '../../src/config/load.js'
import { startBaton, type BatonHandle } from '../../src/index.js'
import { testConfig } from '../helpers/baton-config.js'
import { startBackends } from '../helpers/fake-backend.js'
import { rawRequest, type RawResponse } from '../helpers/raw-client.js'

const OPS_SECRET = 'ops-0123456789abcdef0123456789abcdef'
const VIEWER_SECRET = 'viewer-fedcba9876543210fedcba98'

/** A pino logger whose JSON lines land in `lines`. */
function capturingLogger(): { logger: Logger; lines: () => Record<string, unknown>[]; text: () => string } {
  const raw: string[] = []
  const logger = pino({ level: 'info' }, new Writable({ write: (chunk, _enc, done) => done(void raw.push(String(chunk))) }))
  return { logger, text: () => raw.join(''), lines: () => raw.join('').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l)) }
}

/** Baton started from a YAML file with an admin token from the environment and a read token from a file next to it. */
async function batonWithTokens(t: Test) {
  const [backend] = await startBackends('a')
  const dir = t.testdir({ 'viewer.token': `${VIEWER_SECRET}\n` })
  const file = join(dir, 'baton.yaml')
  writeFileSync(
    file,
    `listeners:
  - port: 0
admin:
  port: 0
  tokens:
    - { name: ops, role: admin, env: BATON_TEST_OPS_TOKEN }
    - { name: viewer, role: read, file: viewer.token }
logging:
  level: silent
upstreams:
  - name: api
    policy: round_robin
    endpoints: [${backend.url}]
`,
  )
  const config = await loadConfigFile(file, { BATON_TEST_OPS_TOKEN: OPS_SECRET })
  const log = capturingLogger()
  const baton = await startBaton(config, { logger: log.logger })
  t.teardown(async () => {
    await baton.close()
    await backend.stop()
  })
  return { baton, config, log }
}

interface Call {
  name: string
  method?: 'GET' | 'POST' | 'HEAD'
  path: string
  headers?: Record<string, string>
  status: number
  /** The error code of a JSON error body; null for a success body. */
  error: string | null
}

async function call(baton: BatonHandle, c: Call): Promise<RawResponse> {
  return rawRequest(`${baton.adminUrl}${c.path}`, { method: c.method ?? 'GET', headers: c.headers })
}

const bearer = (secret: string) => ({ authorization: `Bearer ${secret}` })
const JSON_BODY = { 'content-type': 'application/json' }

t.test('with tokens: every call but /healthz needs one, a read token cannot write, refusals are logged without secrets', async (t) => {
  const { baton, config, log } = await batonWithTokens(t)
  const port = new URL(baton.adminUrl!).port
  const calls: Call[] = [
    { name: 'healthz is open', path: '/healthz', status: 200, error: null },
    { name: 'no token', path: '/api/upstreams', status: 401, error: 'BATON_ADMIN_UNAUTHORIZED' },
    { name: 'no token on metrics', path: '/metrics', status: 401, error: 'BATON_ADMIN_UNAUTHORIZED' },
    { name: 'unknown path without a token says nothing of it', path: '/api/secret-plans', status: 401, error: 'BATON_ADMIN_UNAUTHORIZED' },
    { name: 'wrong token', path: '/api/upstreams', headers: bearer('x'.repeat(40)), status: 401, error: 'BATON_ADMIN_UNAUTHORIZED' },
    { name: 'read token reads', path: '/api/upstreams', headers: bearer(VIEWER_SECRET), status: 200, error: null },
    { name: 'read token reads metrics', path: '/metrics', headers: bearer(VIEWER_SECRET), status: 200, error: null },
    { name: 'admin token reads', path: '/api/model', headers: bearer(OPS_SECRET), status: 200, error: null },
    { name: 'read token on a write', method: 'POST', path: '/api/model/rollback', headers: { ...bearer(VIEWER_SECRET), ...JSON_BODY }, status: 403, error: 'BATON_ADMIN_FORBIDDEN' },
    // 404 no_model: the rollback handler ran (the upstream is round_robin, so it has no model to roll back).
    { name: 'admin token writes', method: 'POST', path: '/api/model/rollback', headers: { ...bearer(OPS_SECRET), ...JSON_BODY }, status: 404, error: 'no_model' },
    { name: 'admin token, text/plain', method: 'POST', path: '/api/model/rollback', headers: { ...bearer(OPS_SECRET), 'content-type': 'text/plain' }, status: 415, error: 'BATON_ADMIN_CONTENT_TYPE' },
    {
      name: 'admin token, foreign Origin',
      method: 'POST',
      path: '/api/model/rollback',
      headers: { ...bearer(OPS_SECRET), ...JSON_BODY, origin: 'https://attacker.example' },
      status: 403,
      error: 'BATON_ADMIN_CSRF',
    },
    { name: 'admin token, rebinding Host', path: '/api/upstreams', headers: { ...bearer(OPS_SECRET), host: `attacker.example:${port}` }, status: 421, error: 'BATON_ADMIN_BAD_HOST' },
    { name: 'localhost names a loopback admin', path: '/api/events', headers: { ...bearer(VIEWER_SECRET), host: `localhost:${port}` }, status: 200, error: null },
  ]
  for (const c of calls) {
    const res = await call(baton, c)
    t.equal(res.status, c.status, c.name)
    if (c.error !== null) t.equal(JSON.parse(res.body).error, c.error, `${c.name}: code`)
    if (c.status === 401) t.match(res.headers['www-authenticate'], /^Bearer realm="baton-admin"/, `${c.name}: WWW-Authenticate`)
  }

  const refusals = log.lines().filter((l) => l.msg === 'admin request refused')
  t.equal(refusals.length, calls.filter((c) => c.error?.startsWith('BATON_ADMIN_')).length, 'one warn line per refusal')
  t.ok(refusals.every((l) => l.level === 40), 'at warn')
  t.match(refusals[0], { peer: /^(::ffff:)?127\.0\.0\.1$/, method: 'GET', path: '/api/upstreams', reason: 'no-credentials', status: 401, token: null })
  t.match(
    refusals.find((l) => l.reason === 'read-token-on-write'),
    { method: 'POST', path: '/api/model/rollback', status: 403, token: 'viewer' },
    'the read token is named, never shown',
  )
  t.match(refusals.find((l) => l.reason === 'bad-host'), { host: `attacker.example:${port}` })
  t.match(log.lines().find((l) => l.msg === 'admin write admitted'), { path: '/api/model/rollback', token: 'ops' }, 'an admitted write names its token')
  for (const [how, text] of [
    ['the log', log.text()],
    ['JSON.stringify(config)', JSON.stringify(config)],
    ['inspect(config)', inspect(config, { depth: null })],
  ]) {
    t.notOk(text.includes(OPS_SECRET) || text.includes(VIEWER_SECRET), `${how} holds no secret`)
  }
})

t.test('without tokens, on loopback: open to reads, but DNS rebinding and cross-site writes are refused', async (t) => {
  const [backend] = await startBackends('a')
  const log = capturingLogger()
  const baton = await startBaton(testConfig([{ endpoints: [backend.url] }]), { logger: log.logger })
  t.teardown(async () => {
    await baton.close()
    await backend.stop()
  })
  const port = new URL(baton.adminUrl!).port
  const calls: Call[] = [
    { name: 'a read', path: '/api/upstreams', status: 200, error: null },
    { name: 'a read by [::1] name', path: '/api/upstreams', headers: { host: `[::1]:${port}` }, status: 200, error: null },
    { name: 'a rebound name reads nothing', path: '/api/upstreams', headers: { host: `attacker.example:${port}` }, status: 421, error: 'BATON_ADMIN_BAD_HOST' },
    { name: 'healthz answers a rebound name (it tells nothing)', path: '/healthz', headers: { host: `attacker.example:${port}` }, status: 200, error: null },
    // What a web page can send without a CORS preflight: a text/plain POST, with its own Origin.
    { name: 'cross-site text/plain POST', method: 'POST', path: '/api/model/rollback', headers: { 'content-type': 'text/plain', origin: 'http://attacker.example' }, status: 403, error: 'BATON_ADMIN_CSRF' },
    { name: 'text/plain POST without Origin', method: 'POST', path: '/api/model/rollback', headers: { 'content-type': 'text/plain' }, status: 415, error: 'BATON_ADMIN_CONTENT_TYPE' },
    { name: 'JSON POST with a foreign Origin', method: 'POST', path: '/api/model/rollback', headers: { ...JSON_BODY, origin: 'http://attacker.example' }, status: 403, error: 'BATON_ADMIN_CSRF' },
    { name: 'JSON POST from the admin origin', method: 'POST', path: '/api/model/rollback', headers: { ...JSON_BODY, origin: `http://127.0.0.1:${port}` }, status: 404, error: 'no_model' },
    { name: 'JSON POST from curl (no Origin)', method: 'POST', path: '/api/model/rollback', headers: JSON_BODY, status: 404, error: 'no_model' },
  ]
  for (const c of calls) {
    const res = await call(baton, c)
    t.equal(res.status, c.status, c.name)
    if (c.error !== null) t.equal(JSON.parse(res.body).error, c.error, `${c.name}: code`)
  }
  const reasons = log.lines().filter((l) => l.msg === 'admin request refused').map((l) => l.reason)
  t.same(reasons, ['bad-host', 'foreign-origin', 'not-json', 'foreign-origin'])
})

