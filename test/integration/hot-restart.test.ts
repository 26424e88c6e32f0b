import t from 'tap'
import { spawn } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Agent, request } from 'undici'
import { startBackends } from '../helpers/fake-backend.js'

/**
 * Zero-downtime restart: `baton start --upgrade --pid-file F` (SIGUSR2 to the running Baton) hands every
 * listening socket to a new process, which serves before the old one drains. Under steady load, ten restarts
 * in a row refuse no connection and fail no request.
 */

const BATON = join(process.cwd(), 'bin', 'baton')

/** tap's NODE_OPTIONS would load its loader into every child; `env -u` drops it. */
function baton(args: string[]) {
  return spawn('env', ['-u', 'NODE_OPTIONS', process.execPath, BATON, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
}

function run(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = baton(args)
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += d))
    child.stderr.on('data', (d: Buffer) => (out += d))
    child.on('exit', (code) => resolve({ code, out }))
  })
}

const pidIn = (file: string): number => Number(readFileSync(file, 'utf8').trim())

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

t.test('ten restarts in a row under load: no refused connection, no failed request', async (t) => {
  const [backend] = await startBackends('a')
  t.teardown(() => backend.stop())
  const dir = t.testdir()
  const file = join(dir, 'baton.yaml')
  const pidFile = join(dir, 'baton.pid')
  writeFileSync(file, `listeners: [{ port: 0 }]\nadmin: { enabled: false }\nlogging: { level: info }\nupstreams:\n  - name: api\n    endpoints: [${backend.url}]\n`)
  const first = baton(['start', '--config', file, '--pid-file', pidFile])
  const url = await new Promise<string>((resolve, reject) => {
    let out = ''
    first.stdout.on('data', (d: Buffer) => {
      out += d
      const m = /proxy listening on (http:\/\/[^\s"]+)/.exec(out)
      if (m) resolve(m[1])
    })
    first.on('exit', (code) => reject(new Error(`baton exited with ${code}: ${out}`)))
  })
  const pids = [pidIn(pidFile)]
  t.teardown(() => {
    for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL')
  })

  // Steady load: keep-alive connections, and a fresh connection per request (what a refused connect would hit).
  let running = true
  const tally = { ok: 0, failed: [] as string[] }
  const keepAlive = new Agent({ connections: 4 })
  const worker = async (fresh: boolean): Promise<void> => {
    while (running) {
      const dispatcher = fresh ? new Agent({ connections: 1 }) : keepAlive
      try {
        const res = await request(`${url}/echo`, { dispatcher, headersTimeout: 5_000, bodyTimeout: 5_000 })
        await res.body.text()
        if (res.statusCode === 200) tally.ok++
        else tally.failed.push(`status ${res.statusCode}`)
      } catch (err) {
        tally.failed.push(`${fresh ? 'fresh' : 'reused'} connection: ${(err as Error).message}`)
      } finally {
        if (fresh) await dispatcher.close()
      }
    }
  }
  const workers = [worker(false), worker(false), worker(true), worker(true)]

  for (let k = 0; k < 10; k++) {
    await new Promise((r) => setTimeout(r, 150))
    const before = pidIn(pidFile)
    const upgraded = await run(['start', '--config', file, '--upgrade', '--pid-file', pidFile])
    t.equal(upgraded.code, 0, `restart ${k + 1}: ${upgraded.out.trim()}`)
    const after = pidIn(pidFile)
    t.not(after, before, 'a new process serves')
    pids.push(after)
    const deadline = Date.now() + 10_000
    while (alive(before) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
    t.notOk(alive(before), 'the old process drained and exited')
  }
  await new Promise((r) => setTimeout(r, 200))
  running = false
  await Promise.all(workers)
  await keepAlive.close()
  t.same(tally.failed, [], `no failed request out of ${tally.ok + tally.failed.length}: ${tally.failed.join('; ')}`)
  t.ok(tally.ok > 300, `load ran throughout: ${tally.ok} answered`)
  const last = pidIn(pidFile)
  process.kill(last, 'SIGTERM')
  const deadline = Date.now() + 10_000
  while (alive(last) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))

  // One writer at a time: each successor appended only after its predecessor handed the file over.
  const audit = join(dir, 'audit.log')
  const verified = await run(['audit', 'verify', audit])
  t.equal(verified.code, 0, verified.out.trim())
  const actions = readFileSync(audit, 'utf8').trim().split('\n').map((l) => JSON.parse(l).action)
  t.same(actions.filter((a) => a === 'start').length, 11, 'every process recorded its start in the one chain')
  t.equal(actions.at(-1), 'stop', 'the last one its stop')
})
