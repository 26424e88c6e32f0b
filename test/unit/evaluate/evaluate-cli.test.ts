import t from 'tap'
import { spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { simulateLog, WORLD } from './simulated-log.js'

const BATON = join(process.cwd(), 'bin', 'baton')

/** bin/baton as a shell runs it (`env -u NODE_OPTIONS` drops tap's loaders, as test/integration/cli.test.ts does). */
function runBaton(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('env', ['-u', 'NODE_OPTIONS', process.execPath, BATON, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d))
    child.stderr.on('data', (d: Buffer) => (stderr += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000)
    child.on('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}

t.test('baton evaluate prints every estimator with its interval, or JSON; bad input is one line and exit 1', async (t) => {
  const dir = t.testdir({})
  const log = join(dir, 'decisions.jsonl')
  writeFileSync(log, simulateLog(WORLD, 300, 5))

  const text = await runBaton(['evaluate', '--log', log, '--policy', 'least_request', '--resamples', '200'])
  t.equal(text.code, 0, text.stderr)
  t.match(text.stdout, /300 decisions evaluated of 300 lines \(logged by adaptive\)/)
  t.match(text.stdout, /effective sample size \(Kish, \(Σw\)²\/Σw²\): [\d.]+ of 300/)
  for (const row of ['logged \\(as run\\)', 'IPS', 'SNIPS', 'DR']) {
    t.match(text.stdout, new RegExp(`\\n  ${row} +[\\d.]+ \\[[\\d.]+, [\\d.]+\\] +[\\d.]+ \\[[\\d.]+, [\\d.]+\\] +[\\d.]+ % \\[`), row)
  }

  const json = await runBaton(['evaluate', '--log', log, '--policy', 'greedy', '--option', 'feature=peakEwmaMs', '--option', 'epsilon=0.1', '--resamples', '100', '--json'])
  t.equal(json.code, 0, json.stderr)
  const ev = JSON.parse(json.stdout)
  t.equal(ev.policy, 'greedy')
  t.equal(ev.decisions, 300)
  t.ok(ev.estimates.dr.meanMs.low <= ev.estimates.dr.meanMs.value && ev.estimates.dr.meanMs.value <= ev.estimates.dr.meanMs.high)
  t.same(ev.privacy, [])

  const bad = [
    { args: ['evaluate', '--log', join(dir, 'missing.jsonl'), '--policy', 'uniform'], pattern: /^baton: cannot read .*missing\.jsonl: ENOENT\n$/ },
    { args: ['evaluate', '--log', log, '--policy', 'bogus'], pattern: /^baton: unknown policy "bogus"/ },
    { args: ['evaluate', '--log', log, '--policy', 'greedy'], pattern: /feature=/ },
    { args: ['evaluate', '--log', log], pattern: /required option '--policy <name>'/ },
  ]
  for (const c of bad) {
    const run = await runBaton(c.args)
    t.equal(run.code, 1, c.args.join(' '))
    t.match(run.stderr, c.pattern)
  }
})
