import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { parseConfigText } from '../../../src/config/load.js'
import { errorLines } from '../../helpers/config-errors.js'

/** A valid single-upstream config, with `extra` appended inside the upstream. */
const base = (extra = '') => `upstreams:\n  - name: api\n    endpoints:\n      - url: http://127.0.0.1:3001\n${extra}`
const SECRET = '0123456789abcdef0123456789abcdef'

const BROKEN: { name: string; text: string; env?: NodeJS.ProcessEnv; expected: string[] }[] = [
  {
    name: 'a webhook without a secret',
    text: base('    scaling:\n      webhook: { url: "http://127.0.0.1:9000/scale" }\n'),
    expected: ['upstreams[0].scaling.webhook: a webhook needs secretEnv: VAR_NAME or secretFile: path (its HMAC key, never in the config itself) at x.yaml:6:16'],
  },
  {
    name: 'a webhook with two secrets, a bad URL, a backoff cap below its start',
    text: base('    scaling:\n      webhook: { url: "ftp://x/y", secretEnv: S, secretFile: s.key, initialBackoff: 5s, maxBackoff: 1s }\n'),
    expected: [
      'upstreams[0].scaling.webhook.url: expected an http:// or https:// URL at x.yaml:6:23',
      'upstreams[0].scaling.webhook.secretFile: the secret comes from secretEnv or from secretFile, not both at x.yaml:6:62',
      'upstreams[0].scaling.webhook.maxBackoff: maxBackoff must be at least initialBackoff at x.yaml:6:101',
    ],
  },
  {
    name: 'a secret variable that is not set, and one that is too short',
    text: `routes:\n  - upstream: a\nupstreams:\n  - name: a\n    endpoints: [http://127.0.0.1:3001]\n    scaling: { webhook: { url: "http://127.0.0.1:9/s", secretEnv: NOPE } }\n  - name: b\n    endpoints: [http://127.0.0.1:3002]\n    scaling: { webhook: { url: "http://127.0.0.1:9/s", secretEnv: SHORT } }\n`,
    env: { SHORT: 'abc' },
    expected: [
      'upstreams[0].scaling.webhook.secretEnv: environment variable NOPE is not set at x.yaml:6:67',
      'upstreams[1].scaling.webhook.secretEnv: the secret in environment variable SHORT has 3 characters; at least 16 are needed (e.g. openssl rand -hex 32) at x.yaml:9:67',
    ],
  },
  {
    name: 'scaling keys out of range, a typo, a command that is not a list',
    text: base('    scaling: { targetP99: 0ms, headroomPercent: -1, minEndpoints: 0, horizn: 2m, command: "scale.sh" }\n'),
    expected: [
      'upstreams[0].scaling.targetP99: must be at least 1 ms, got 0 ms at x.yaml:5:27',
      'upstreams[0].scaling.headroomPercent: must be at least 0, got -1 at x.yaml:5:49',
      'upstreams[0].scaling.minEndpoints: must be at least 1, got 0 at x.yaml:5:67',
      'upstreams[0].scaling.command: expected the command as a list: [program, arg, …] at x.yaml:5:91',
      'upstreams[0].scaling.horizn: unknown key "horizn" at x.yaml:5:70',
    ],
  },
  {
    name: 'a load report with an unknown format and a bad header name',
    text: base('    loadReport: { header: "x load", format: json }\n'),
    expected: [
      'upstreams[0].loadReport.header: expected a header name at x.yaml:5:27',
      'upstreams[0].loadReport.format: expected one of "orca-text", "number" at x.yaml:5:45',
    ],
  },
]

t.test('broken scaling and loadReport blocks are located', async (t) => {
  for (const c of BROKEN) t.same(errorLines(c.text, c.env), c.expected, c.name)
})

t.test('defaults: scaling on as a signal only, no load report', async (t) => {
  const config = parseConfigText(base(), 'x.yaml', {})
  t.same(config.upstreams[0].scaling, {
    enabled: true,
    targetP99Ms: 250,
    horizonMs: 120_000,
    headroomFraction: 0.2,
    toleranceFraction: 0.1,
    scaleDownWindowMs: 300_000,
    minEndpoints: 1,
    webhook: null,
    command: null,
    commandTimeoutMs: 30_000,
  })
  t.equal(config.upstreams[0].loadReport, null)
})

t.test('a webhook secret from a file or the environment, never printed', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'baton-scaling-config-'))
  writeFileSync(join(dir, 'hook.key'), `${SECRET}\n`)
  const file = join(dir, 'baton.yaml')
  const text = base('    scaling:\n      webhook: { url: "http://127.0.0.1:9000/scale", secretFile: hook.key, attempts: 3 }\n    loadReport: { header: X-Load, format: number, weight: 0.5 }\n')
  const config = parseConfigText(text, file, {}, file)
  const webhook = config.upstreams[0].scaling!.webhook!
  t.equal(webhook.secret, SECRET, 'read from the file beside the config, trailing newline dropped')
  t.same(webhook, { url: 'http://127.0.0.1:9000/scale', timeoutMs: 5_000, attempts: 3, initialBackoffMs: 1_000, maxBackoffMs: 30_000 })
  t.notMatch(JSON.stringify(config), SECRET)
  t.same(config.upstreams[0].loadReport, { header: 'x-load', format: 'number', metric: 'cpu_utilization', weight: 0.5 })
  const fromEnv = parseConfigText(base('    scaling: { webhook: { url: "https://hooks.example/s", secretEnv: HOOK } }\n'), 'x.yaml', { HOOK: SECRET })
  t.equal(fromEnv.upstreams[0].scaling!.webhook!.secret, SECRET)
})
