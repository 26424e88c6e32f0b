import t, { type Test } from 'tap'
import { spawn, type ChildProcess } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { request } from 'undici'
import { startBackends, type FakeBackend } from '../helpers/fake-backend.js'

/* `baton start` and `baton ctl` as a user's shell runs them: real processes, a real proxy, real backends. */

const BATON = join(process.cwd(), 'bin', 'baton')
const OPS_SECRET = 'ops-0123456789abcdef0123456789abcdef'
const VIEWER_SECRET = 'viewer-fedcba9876543210fedcba98'

/** bin/baton without tap's loaders in NODE_OPTIONS (see cli.test.ts), with `env` added. */
function spawnBaton(args: string[], env: Record<string, string> = {}): ChildProcess {
  return spawn('env', ['-u', 'NODE_OPTIONS', process.execPath, BATON, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } })
}

interface Run {
  code: number | null
  stdout: string
  stderr: string
}

function run(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawnBaton(args, env)
    let stdout = ''
    let stderr = ''
    child.stdout!.on('data', (d: Buffer) => (stdout += d))
    child.stderr!.on('data', (d: Buffer) => (stderr += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000)
    child.on('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}

interface Started {
  child: ChildProcess
  /** stdout so far. */
  out: () => string
  proxyUrl: string
  adminUrl: string
  /** The test's folder: the config and the read token's file. */
  dir: string
}

/** `baton start` with two backends, an admin and a read token; resolves once both "listening" lines are out. */
async function startBaton(t: Test, backends: FakeBackend[], logFormat: 'json' | 'pretty'): Promise<Started> {
  const dir = t.testdir({ 'viewer.token': `${VIEWER_SECRET}\n` })
  const file = join(dir, 'baton.yaml')
  writeFileSync(
    file,
    `listeners: [{ port: 0 }]
admin:
  port: 0
  tokens:
    - { name: ops, role: admin, env: BATON_TEST_OPS_TOKEN }
    - { name: viewer, role: read, file: viewer.token }
upstreams:
  - name: api
    policy: round_robin
    endpoints: [${backends.map((b) => b.url).join(', ')}]
`,
  )
  const child = spawnBaton(['start', '--config', file, '--log-format', logFormat], { BATON_TEST_OPS_TOKEN: OPS_SECRET })
  // A safety net only: on a loaded machine the test itself may take a while.
  const killer = setTimeout(() => child.kill('SIGKILL'), 90_000)
  const exited = new Promise((resolve) => child.once('exit', resolve))
  let out = ''
  const urls = await new Promise<[string, string]>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d
      const proxy = /proxy listening on (http:\/\/[^\s"]+)/.exec(out)
      const admin = /admin API on (http:\/\/[^\s"]+)/.exec(out)
      if (proxy && admin) resolve([proxy[1], admin[1]])
    })
    child.on('exit', (code) => reject(new Error(`baton exited with ${code}: ${out}`)))
  })
  t.teardown(async () => {
    child.kill('SIGTERM')
    await exited
    clearTimeout(killer)
  })
  return { child, out: () => out, proxyUrl: urls[0], adminUrl: urls[1], dir }
}

t.test('baton ctl drains through the admin API; upstreams shows it; a bad or read-only token exits 1 with the API’s message', async (t) => {
  const backends = await startBackends('a', 'b')
  t.teardown(() => Promise.all(backends.map((b) => b.stop())))
  const baton = await startBaton(t, backends, 'json')
  const ops = { BATON_ADMIN_TOKEN: OPS_SECRET }
  const target = new URL(backends[0].url).host

  const drained = await run(['ctl', '--admin', baton.adminUrl, 'drain', 'api', target, '--reason', 'deploy 42'], ops)
  t.equal(drained.code, 0, drained.stderr)
  t.equal(drained.stdout, `api/${target}: drained, weight 1, manual: drained\n`)
  const table = await run(['ctl', '--admin', baton.adminUrl, 'upstreams'], ops)
  t.equal(table.code, 0, table.stderr)
  const lines = table.stdout.trimEnd().split('\n')
  t.match(lines[0], /^UPSTREAM\s+POLICY\s+ENDPOINT\s+STATE\s+ROUTED\s+WEIGHT/)
  t.match(lines.find((l) => l.includes(target)), /api\s+round_robin\s+\S+\s+drained\s+no\s+1\s.*drained$/)
  for (let k = 0; k < 4; k++) {
    const res = await request(`${baton.proxyUrl}/`)
    await res.body.text()
    t.equal(res.headers['x-backend'], 'b', 'the drained endpoint gets no request')
  }
  const json = await run(['ctl', '--admin', baton.adminUrl, '--json', 'events'], ops)
  t.match(JSON.parse(json.stdout).events, [{ kind: 'drain', endpoint: target, cause: 'deploy 42', data: { actor: 'ops' } }])

  const badToken = await run(['ctl', '--admin', baton.adminUrl, 'undrain', 'api', target], { BATON_ADMIN_TOKEN: 'wrong-token-wrong-token' })
  t.equal(badToken.code, 1)
  t.equal(badToken.stderr, 'baton: BATON_ADMIN_UNAUTHORIZED: the token is not valid (HTTP 401)\n')
  const readOnly = await run(['ctl', '--admin', baton.adminUrl, '--token-file', join(baton.dir, 'viewer.token'), 'undrain', 'api', target], {})
  t.equal(readOnly.code, 1)
  t.match(readOnly.stderr, /^baton: BATON_ADMIN_FORBIDDEN: .*role admin \(HTTP 403\)\n$/)
  const unknown = await run(['ctl', '--admin', baton.adminUrl, 'drain', 'api', '127.0.0.1:1'], ops)
  t.equal(unknown.code, 1)
  t.match(unknown.stderr, /BATON_UNKNOWN_ENDPOINT/)

  const reloaded = await run(['ctl', '--admin', baton.adminUrl, 'reload'], ops)
  t.equal(reloaded.code, 0, reloaded.stderr)
  t.match(reloaded.stdout, /^reloaded: /)
  const rollback = await run(['ctl', '--admin', baton.adminUrl, 'rollback', 'api', '--to', '2'], ops)
  t.equal(rollback.code, 1)
  t.match(rollback.stderr, /no_model: no adaptive upstream is named "api" \(HTTP 404\)/, 'round_robin has no model to roll back')
  t.ok(baton.out().trim().split('\n').every((l) => typeof JSON.parse(l) === 'object'), '--log-format json: every stdout line is JSON')
  const listening = baton.out().trim().split('\n').map((l) => JSON.parse(l)).find((l) => /^proxy listening/.test(l.msg))
  t.match(listening, { level: 30, url: baton.proxyUrl })
})

t.test('--log-format pretty: readable lines, not JSON', async (t) => {
  const backends = await startBackends('a')
  t.teardown(() => Promise.all(backends.map((b) => b.stop())))
  const baton = await startBaton(t, backends, 'pretty')
  const first = baton.out().split('\n')[0]
  t.match(first, /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: \S/)
  t.match(baton.out(), /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: baton started$/m)
  t.throws(() => JSON.parse(first))
  t.match(baton.out(), /INFO: proxy listening on http:\/\/127\.0\.0\.1:\d+\n/)
})
