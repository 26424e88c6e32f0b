import { spawn } from 'node:child_process'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import { request } from 'undici'
import type { AuditLine } from '../../src/audit/audit-line.js'
import { loadConfigFile, startBaton } from '../../src/index.js'
import { testConfig } from '../helpers/baton-config.js'
import { startBackends } from '../helpers/fake-backend.js'
import { burst, waitForEvent } from '../helpers/healing-rig.js'
import { LeakCheck } from '../helpers/leak-check.js'
import { startScripted } from '../helpers/scripted-backend.js'

const BATON = join(process.cwd(), 'bin', 'baton')

/** bin/baton as a shell runs it (without tap's NODE_OPTIONS loaders); resolves with its exit code and stdout. */
function runBaton(args: string[]): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn('env', ['-u', 'NODE_OPTIONS', process.execPath, BATON, ...args], { stdio: ['ignore', 'pipe', 'inherit'] })
    let stdout = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
    child.on('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout })
    })
  })
}

function configText(a: string, b: string, connectTimeout: string): string {
  return `
listeners: [{ port: 0 }]
admin: { port: 0 }
logging: { level: silent }
shutdown: { drainDelay: 0ms }
audit: { flushInterval: 50ms }
upstreams:
  - name: api
    policy: round_robin
    endpoints: [{ url: "${a}" }, { url: "${b}" }]
    timeouts: { connect: ${connectTimeout} }
    retry: { maxRetries: 0 }
    health:
      outlier: { consecutive5xx: 3, baseEjectionTime: 30s }
`
}

async function adminGet(admin: string, path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await request(admin + path)
  return { status: res.statusCode, body: (await res.body.json()) as Record<string, unknown> }
}

async function fileLines(file: string): Promise<AuditLine[]> {
  const text = await readFile(file, 'utf8').catch(() => '')
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as AuditLine)
}

/** Polls the file every 20 ms until a line matches (bounded: 5 s). */
async function waitForLine(file: string, match: (l: AuditLine) => boolean): Promise<AuditLine | null> {
  const deadline = Date.now() + 5_000
  while (Date.now() < deadline) {
    const line = (await fileLines(file)).find(match)
    if (line !== undefined) return line
    await new Promise((r) => setTimeout(r, 20))
  }
  return null
}

t.test('an ejection and a reload reach the audit file (beside the config by default), GET /api/audit and baton audit verify', async (t) => {
  const [a, b] = await startScripted('a', 'b')
  t.teardown(() => Promise.all([a.stop(), b.stop()]))
  a.mode = 'status'
  a.status = 500
  const dir = t.testdir()
  const configFile = join(dir, 'baton.yaml')
  await writeFile(configFile, configText(a.url, b.url, '2s'))
  const config = await loadConfigFile(configFile)
  t.equal(config.audit.file, join(dir, 'audit.log'), 'no stateDir: the trail goes beside the config file')
  const baton = await startBaton(config)
  t.teardown(() => baton.close())
  const admin = baton.adminUrl!
  const file = join(dir, 'audit.log')

  await burst(`${baton.listenerUrls[0]}/`, 8)
  const ejected = await waitForEvent(baton, (e) => e.kind === 'ejected', 5_000)
  t.ok(ejected, 'a was ejected')
  const aId = new URL(a.url).host
  const written = await waitForLine(file, (l) => l.action === 'ejected')
  t.match(written, { actor: 'baton', target: `api/${aId}`, before: 'serving', after: 'ejected', reason: 'consecutive-5xx', data: { consecutive: 3 } }, 'the timer wrote the ejection, unasked')

  await writeFile(configFile, configText(a.url, b.url, '3s'))
  const reload = await request(`${admin}/api/reload`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
  t.equal(reload.statusCode, 200)
  await reload.body.dump()

  const page = await adminGet(admin, '/api/audit?since=10m&action=ejected')
  t.equal(page.status, 200)
  t.match(page.body, { records: [{ action: 'ejected', target: `api/${aId}` }], truncated: false })
  const reloads = await adminGet(admin, '/api/audit?action=reload')
  // Asked through the admin API: recorded once, by the admin API, with the caller as actor (no tokens here).
  t.match(reloads.body, { records: [{ actor: 'anonymous@127.0.0.1', action: 'reload', after: { diff: { upstreams: { changed: ['api'] } } } }] }, 'a reload, with its diff')
  t.equal((reloads.body as { records: unknown[] }).records.length, 1, 'once: its event carries the actor, so it is not recorded again')
  const future = await adminGet(admin, `/api/audit?since=${new Date(Date.now() + 60_000).toISOString()}`)
  t.same(future.body.records, [], 'since as an ISO time')
  const limited = await adminGet(admin, '/api/audit?limit=1')
  t.equal((limited.body.records as unknown[]).length, 1)
  for (const [query, name] of [['since=yesterday', 'since'], ['since=', 'since'], ['limit=0', 'limit'], ['limit=x', 'limit']]) {
    const bad = await adminGet(admin, `/api/audit?${query}`)
    t.equal(bad.status, 400, query)
    t.match(bad.body, { error: 'BATON_BAD_QUERY', message: new RegExp(`^${name} `) }, `${query}: the message names ${name}`)
  }
  const metrics = await (await request(`${admin}/metrics`)).body.text()
  t.match(metrics, /^baton_audit_records_written_total [1-9]\d*$/m)
  t.match(metrics, /^baton_audit_write_errors_total 0$/m)

  await baton.close()
  const lines = await fileLines(file)
  t.same(lines.map((l) => l.seq), lines.map((_, k) => k + 1), 'one chain from seq 1')

  const intact = await runBaton(['audit', 'verify', file])
  t.equal(intact.code, 0)
  t.match(intact.stdout, new RegExp(`^${lines.length} lines, chain intact`))
  const text = await readFile(file, 'utf8')
  await writeFile(file, text.replace(`"target":"api/${aId}"`, '"target":"api/elsewhere:80"'))
  const edited = await runBaton(['audit', 'verify', '--rotated', file])
  t.equal(edited.code, 1, 'exit 1 on an edited file')
  const at = lines.findIndex((l) => l.target === `api/${aId}`) + 1
  t.match(edited.stdout, new RegExp(`audit\\.log:${at}: chain broken \\(edited\\)`))
})

t.test('close() flushes the trail and releases its timer and file', async (t) => {
  const [backend] = await startBackends('a')
  t.teardown(() => backend.stop())
  const file = join(t.testdir(), 'trail', 'audit.log')
  const leaks = LeakCheck.baseline()
  const audit = { enabled: true, file, fileFrom: 'configured' as const, flushIntervalMs: 60_000, maxSizeBytes: 1_048_576, keep: 2 }
  const baton = await startBaton(testConfig([{ endpoints: [backend.url] }], { audit }))
  t.ok((leaks.held().fd ?? 0) >= 1, 'the open file is counted while running')
  await baton.close()
  t.same((await fileLines(file)).map((l) => l.action), ['start', 'stop'], 'written at close, long before the 60 s flush')
  await leaks.expectNoLeaks(t, 'after close(): no timer or fd of the trail remains')
})

t.test('a configured audit file that cannot be opened stops the start, naming it', async (t) => {
  const dir = t.testdir({ 'not-a-folder': 'x' })
  const file = join(dir, 'not-a-folder', 'audit.log')
  const audit = { enabled: true, file, fileFrom: 'configured' as const, flushIntervalMs: 1_000, maxSizeBytes: 1_048_576, keep: 2 }
  await t.rejects(startBaton(testConfig([{ endpoints: ['http://127.0.0.1:1'] }], { audit })), { message: new RegExp(`^audit.file ${file}: `) })
})
