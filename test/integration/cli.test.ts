import t from 'tap'
import { spawn } from 'node:child_process'
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { request } from 'undici'
import { startBackends } from '../helpers/fake-backend.js'

const BATON = join(process.cwd(), 'bin', 'baton')
/**
 * bin/baton as a user's shell runs it. tap's process-info plugin puts its loaders into NODE_OPTIONS of
 * every child it sees spawned; `env -u` drops them so the launcher loads as it would outside tap.
 */
function spawnBaton(args: string[]) {
  return spawn('env', ['-u', 'NODE_OPTIONS', process.execPath, BATON, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
}

interface Run {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs bin/baton with arguments; resolves when it exits (bounded by `timeoutMs`, then killed). */
function runBaton(args: string[], timeoutMs = 10_000): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawnBaton(args)
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d))
    child.stderr.on('data', (d: Buffer) => (stderr += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}

function writeConfig(dir: string, name: string, text: string): string {
  const file = join(dir, name)
  writeFileSync(file, text)
  return file
}

const VALID = `
listeners:
  - port: 0
admin:
  enabled: false
upstreams:
  - name: api
    endpoints:
      - url: http://127.0.0.1:1
`

t.test('validate: exit 0 on a valid file, 1 with every error as key: message at file:line:col', async (t) => {
  const dir = t.testdir()
  const good = await runBaton(['validate', '--config', writeConfig(dir, 'good.yaml', VALID)])
  t.equal(good.code, 0, good.stderr)
  t.match(good.stdout, /: valid \(1 upstream, 1 route, 1 listener\)\n$/)

  const broken = writeConfig(dir, 'broken.yaml', `${VALID}    bogus: 1\n  - name: api\n    endpoints: [{ url: "htp:/x" }]\n`)
  const bad = await runBaton(['validate', '--config', broken])
  t.equal(bad.code, 1)
  const lines = bad.stderr.trim().split('\n')
  t.ok(lines.length >= 2, `every error listed:\n${bad.stderr}`)
  for (const line of lines) t.match(line, /^[\w[\].]+: .+ at .+broken\.yaml:\d+:\d+$/, line)
  t.notMatch(bad.stderr, /\n\s+at /, 'no stack trace')
})

t.test('bad flags, unknown commands and missing files give one clear line and exit 1', async (t) => {
  const cases = [
    { args: ['validate', '--config', '/nonexistent/baton.yaml'], pattern: /nonexistent\/baton\.yaml/ },
    { args: ['validate'], pattern: /required option/ },
    { args: ['start', '--config', 'x.yaml', '--bogus'], pattern: /unknown option/ },
    { args: ['frobnicate'], pattern: /unknown command/ },
  ]
  for (const c of cases) {
    const run = await runBaton(c.args)
    t.equal(run.code, 1, `${c.args.join(' ')} exits 1`)
    t.match(run.stderr, c.pattern, c.args.join(' '))
    t.notMatch(run.stderr, /\n\s+at /, 'no stack trace')
  }
})

t.test('--version and --help exit 0', async (t) => {
  const version = await runBaton(['--version'])
  t.equal(version.code, 0)
  t.match(version.stdout, /^\d+\.\d+\.\d+/)
  const help = await runBaton(['--help'])
  t.equal(help.code, 0)
  t.match(help.stdout, /Examples:/)
})

t.test('SIGHUP through baton reload --pid-file re-reads the config; a broken file keeps the running one', async (t) => {
  const backends = await startBackends('a', 'b')
  t.teardown(() => Promise.all(backends.map((b) => b.stop())))
  const dir = t.testdir()
  const pidFile = join(dir, 'baton.pid')
  const file = writeConfig(dir, 'run.yaml', VALID.replace('http://127.0.0.1:1', backends[0].url))
  const child = spawnBaton(['start', '--config', file, '--pid-file', pidFile])
  const killer = setTimeout(() => child.kill('SIGKILL'), 15_000)
  t.teardown(() => clearTimeout(killer))
  let out = ''
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d
      const m = /proxy listening on (http:\/\/[^\s"]+)/.exec(out)
      if (m) resolve(m[1])
    })
    child.on('exit', (code) => reject(new Error(`baton exited with ${code} before listening: ${out}`)))
  })
  const answeredBy = async () => (await request(`${url}/`)).headers['x-backend']
  t.equal(await answeredBy(), 'a')
  writeConfig(dir, 'run.yaml', VALID.replace('http://127.0.0.1:1', backends[1].url))
  const sent = await runBaton(['reload', '--pid-file', pidFile])
  t.equal(sent.code, 0, sent.stderr)
  const deadline = Date.now() + 5_000
  while ((await answeredBy()) !== 'b' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
  t.equal(await answeredBy(), 'b', 'the new endpoint serves after SIGHUP')
  writeConfig(dir, 'run.yaml', 'upstreams: [')
  t.equal((await runBaton(['reload', '--pid-file', pidFile])).code, 0)
  await new Promise((r) => setTimeout(r, 300))
  t.equal(await answeredBy(), 'b', 'a broken file changes nothing')
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  child.kill('SIGTERM')
  t.equal(await exited, 0)
  t.notOk(existsSync(pidFile), 'the pid file is removed at exit')
})

t.test('start serves traffic and SIGTERM drains then exits 0', async (t) => {
  const [backend] = await startBackends('a')
  t.teardown(() => backend.stop())
  const dir = t.testdir()
  const file = writeConfig(dir, 'run.yaml', VALID.replace('http://127.0.0.1:1', backend.url))
  const child = spawnBaton(['start', '--config', file])
  const killer = setTimeout(() => child.kill('SIGKILL'), 15_000)
  const url = await new Promise<string>((resolve, reject) => {
    let out = ''
    child.stdout.on('data', (d: Buffer) => {
      out += d
      const m = /proxy listening on (http:\/\/[^\s"]+)/.exec(out)
      if (m) resolve(m[1])
    })
    child.on('exit', (code) => reject(new Error(`baton exited with ${code} before listening: ${out}`)))
  })
  const inflight = request(`${url}/slow/300`)
  await new Promise((r) => setTimeout(r, 100))
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  child.kill('SIGTERM')
  const res = await inflight
  t.equal(await res.body.text(), 'slow 300', 'in-flight request finished during drain')
  t.equal(await exited, 0, 'exit code 0 after drain')
  clearTimeout(killer)
})
