import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { inspect } from 'node:util'
import { pino } from 'pino'
import t from 'tap'
import { adminToken } from '../../../src/config/admin-token.js'
import { defaultAdmin } from '../../../src/config/build-admin.js'
import { loadConfigFile, parseConfigText } from '../../../src/config/load.js'
import { errorLines } from '../../helpers/config-errors.js'

const SECRET = 'c0ffee-0123456789abcdef-s3cret'
const OTHER = 'f00d-fedcba9876543210-s3cret'
const UPSTREAM = `upstreams:\n  - name: api\n    endpoints: [http://127.0.0.1:3001]\n`
const withAdmin = (admin: string) => `admin:\n${admin}${UPSTREAM}`

t.test('a token from an environment variable: name, role and secret, one trailing newline dropped', async (t) => {
  const config = parseConfigText(withAdmin('  tokens:\n    - { name: ops, role: admin, env: OPS_TOKEN }\n'), 'x.yaml', { OPS_TOKEN: `${SECRET}\n` })
  t.equal(config.admin!.tokens.length, 1)
  const [token] = config.admin!.tokens
  t.same([token.name, token.role, token.secret], ['ops', 'admin', SECRET])
  t.same(config.admin!.allowedHosts, [])
})

t.test('a token from a file relative to the config file, CRLF dropped; allowedHosts kept lower-case', async (t) => {
  const dir = t.testdir({ secrets: { 'viewer.token': `${OTHER}\r\n` } })
  const file = join(dir, 'baton.yaml')
  writeFileSync(file, withAdmin('  address: 0.0.0.0\n  tokens:\n    - { name: viewer, role: read, file: secrets/viewer.token }\n  allowedHosts: [Admin.Example.com]\n'))
  const config = await loadConfigFile(file, {})
  t.same(config.admin!.tokens.map((x) => [x.name, x.role, x.secret]), [['viewer', 'read', OTHER]])
  t.same(config.admin!.allowedHosts, ['admin.example.com'])
  t.equal(config.admin!.address, '0.0.0.0', 'a non-loopback address is fine with a token')
})

t.test('the secret never shows when the config is printed, logged, spread or inspected', async (t) => {
  const config = parseConfigText(
    withAdmin('  tokens:\n    - { name: ops, role: admin, env: OPS_TOKEN }\n    - { name: viewer, role: read, env: VIEWER_TOKEN }\n'),
    'x.yaml',
    { OPS_TOKEN: SECRET, VIEWER_TOKEN: OTHER },
  )
  const lines: string[] = []
  const logger = pino({ level: 'info' }, new Writable({ write: (chunk, _enc, done) => done(void lines.push(String(chunk))) }))
  logger.info({ config, admin: config.admin, token: config.admin!.tokens[0] }, 'config')
  const shown: Record<string, string> = {
    'JSON.stringify': JSON.stringify(config),
    'util.inspect': inspect(config, { depth: null }),
    'util.inspect showHidden': inspect(config.admin!.tokens[0], { showHidden: false }),
    pino: lines.join(''),
    spread: JSON.stringify({ ...config.admin!.tokens[0] }),
    'String()': String(config.admin!.tokens[0]),
  }
  for (const [how, text] of Object.entries(shown)) {
    t.notOk(text.includes(SECRET) || text.includes(OTHER), `${how} hides the secrets`)
    if (how !== 'String()') t.ok(text.includes('ops'), `${how} still names the token`)
  }
  t.same(JSON.parse(JSON.stringify(config.admin!.tokens[0])), { name: 'ops', role: 'admin', secret: '[redacted]' })
  t.ok(Object.isFrozen(config.admin!.tokens[0]), 'a token cannot be changed')
})

t.test('adminToken() and defaultAdmin() build the same shape for configs made in code', async (t) => {
  const token = adminToken('ci', 'read', SECRET)
  t.equal(token.secret, SECRET)
  t.same(defaultAdmin(), { address: '127.0.0.1', port: 9901, tokens: [], allowedHosts: [] })
  t.same(defaultAdmin({ port: 0, tokens: [token] }).tokens, [token])
})

t.test('secrets that are missing, too short, empty, unsendable or shared are located errors that never quote them', async (t) => {
  const dir = t.testdir({ 'empty.token': '\n', 'short.token': 'abc123\n', 'spaced.token': 'abc 0123456789abcdef\n' })
  const token = (source: string, name = 'ops') => `    - { name: ${name}, role: admin, ${source} }\n`
  const cases: { name: string; admin: string; env?: NodeJS.ProcessEnv; expected: string[] }[] = [
    {
      name: 'empty variable',
      admin: token('env: OPS_TOKEN'),
      env: { OPS_TOKEN: '' },
      expected: ['admin.tokens[0].env: the token in environment variable OPS_TOKEN is empty at x.yaml:3:38'],
    },
    {
      name: 'short variable',
      admin: token('env: OPS_TOKEN'),
      env: { OPS_TOKEN: 'abc123' },
      expected: ['admin.tokens[0].env: the token in environment variable OPS_TOKEN has 6 characters; at least 16 are needed (e.g. openssl rand -hex 32) at x.yaml:3:38'],
    },
    {
      name: 'empty file',
      admin: token(`file: ${join(dir, 'empty.token')}`),
      expected: [`admin.tokens[0].file: the token in file ${join(dir, 'empty.token')} is empty at x.yaml:3:39`],
    },
    {
      name: 'short file',
      admin: token(`file: ${join(dir, 'short.token')}`),
      expected: [`admin.tokens[0].file: the token in file ${join(dir, 'short.token')} has 6 characters; at least 16 are needed (e.g. openssl rand -hex 32) at x.yaml:3:39`],
    },
    {
      name: 'a space inside',
      admin: token(`file: ${join(dir, 'spaced.token')}`),
      expected: [`admin.tokens[0].file: the token in file ${join(dir, 'spaced.token')} holds characters a bearer token cannot carry; use letters, digits and -._~+/ (RFC 6750 §2.1) at x.yaml:3:39`],
    },
    {
      name: 'a folder, not a file',
      admin: token(`file: ${dir}`),
      expected: [`admin.tokens[0].file: cannot read token file ${dir}: EISDIR at x.yaml:3:39`],
    },
    {
      name: 'two names, one secret',
      admin: token('env: A_TOKEN', 'a') + token('env: B_TOKEN', 'b'),
      env: { A_TOKEN: SECRET, B_TOKEN: SECRET },
      expected: ['admin.tokens[1].env: the same secret as admin.tokens[0]; every token needs its own at x.yaml:4:36'],
    },
  ]
  for (const c of cases) {
    const lines = errorLines(withAdmin(`  tokens:\n${c.admin}`), c.env ?? {})
    t.same(lines, c.expected, c.name)
    t.notOk(lines.join('\n').includes('abc123') || lines.join('\n').includes(SECRET), `${c.name}: the secret is not quoted`)
  }
})

t.test('a disabled admin server reads no token and may name any address', async (t) => {
  const text = withAdmin('  enabled: false\n  address: 0.0.0.0\n  tokens:\n    - { name: ops, role: admin, env: UNSET_TOKEN }\n')
  t.equal(parseConfigText(text, 'x.yaml', {}).admin, null)
})
