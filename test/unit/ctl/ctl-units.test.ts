import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { adminTarget } from '../../../src/ctl/admin-target.js'
import { formatTable } from '../../../src/ctl/table.js'
import { chooseLogFormat } from '../../../src/util/logger.js'

t.test('the log format: the flag wins, else pretty on a terminal and JSON otherwise', async (t) => {
  const cases: [Parameters<typeof chooseLogFormat>[0], boolean, string][] = [
    [undefined, true, 'pretty'],
    [undefined, false, 'json'],
    ['json', true, 'json'],
    ['pretty', false, 'pretty'],
  ]
  for (const [flag, tty, want] of cases) t.equal(chooseLogFormat(flag, tty), want, `--log-format ${flag ?? '(none)'}, tty ${tty}`)
})

t.test('tables align columns, numbers to the right', async (t) => {
  t.equal(formatTable([['NAME', 'N'], ['a', '5'], ['long-name', '120']]), 'NAME         N\na            5\nlong-name  120\n')
  t.equal(formatTable([]), '')
})

t.test('where ctl calls: --admin, else the config file’s admin address and port, else 127.0.0.1:9901; token flag > file > env', async (t) => {
  const dir = t.testdir({ 'token.txt': 's3cret\n', 'empty.txt': '\n' })
  const config = (name: string, text: string) => {
    const file = join(dir, name)
    writeFileSync(file, text)
    return file
  }
  const env = { BATON_ADMIN_TOKEN: 'from-env' }
  t.same(adminTarget({}, {}), { url: 'http://127.0.0.1:9901', token: null })
  t.same(adminTarget({}, env), { url: 'http://127.0.0.1:9901', token: 'from-env' })
  t.same(adminTarget({ admin: 'http://127.0.0.1:1234', tokenFile: join(dir, 'token.txt') }, env), { url: 'http://127.0.0.1:1234', token: 's3cret' })
  t.equal(adminTarget({ token: 'flag', tokenFile: join(dir, 'token.txt') }, env).token, 'flag')
  t.throws(() => adminTarget({ tokenFile: join(dir, 'empty.txt') }), /holds no token/)
  t.equal(adminTarget({ config: config('a.yaml', 'admin:\n  port: 9911\n') }).url, 'http://127.0.0.1:9911')
  t.equal(adminTarget({ config: config('b.yaml', 'admin: { address: 0.0.0.0, port: 9912 }\n') }).url, 'http://127.0.0.1:9912', 'a wildcard is reached on loopback')
  t.equal(adminTarget({ config: config('c.yaml', 'admin: { address: "::1", port: 9913 }\n') }).url, 'http://[::1]:9913')
  t.equal(adminTarget({ config: config('d.yaml', 'upstreams: []\n') }).url, 'http://127.0.0.1:9901', 'no admin section: the default')
  t.throws(() => adminTarget({ config: config('e.yaml', 'admin: { port: 0 }\n') }), /give the admin server's URL with --admin/)
  t.throws(() => adminTarget({ config: config('f.yaml', 'admin: { enabled: false }\n') }), /turns the admin API off/)
})
