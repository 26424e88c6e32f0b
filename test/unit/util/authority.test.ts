import t from 'tap'
import { parseAuthority } from '../../../src/util/authority.js'
import { isIpLiteral, isLoopbackAddress } from '../../../src/util/loopback-address.js'

t.test('parseAuthority normalises host[:port] and refuses anything else', async (t) => {
  const cases: [string, { hostname: string; port: number | null } | null][] = [
    ['localhost', { hostname: 'localhost', port: null }],
    ['LocalHost:9901', { hostname: 'localhost', port: 9901 }],
    ['127.0.0.1:80', { hostname: '127.0.0.1', port: 80 }],
    ['127.1:9901', { hostname: '127.0.0.1', port: 9901 }],
    ['[0:0::1]:9901', { hostname: '[::1]', port: 9901 }],
    ['[::1]', { hostname: '[::1]', port: null }],
    ['admin.example.com.', { hostname: 'admin.example.com.', port: null }],
    ['under_score.lan', { hostname: 'under_score.lan', port: null }],
    ['', null],
    ['::1', null],
    ['a:0', null],
    ['a:65536', null],
    ['a@b', null],
    ['a/b', null],
    ['a b', null],
    ['exa%41mple.com', null],
    ['*.example.com', null],
    ['999.1.1.1', null],
    ['[::1', null],
    ['a:', null],
  ]
  for (const [text, expected] of cases) t.same(parseAuthority(text), expected, JSON.stringify(text))
})

t.test('isLoopbackAddress: 127/8, ::1, mapped forms and localhost; not wildcards or names', async (t) => {
  const cases: [string, boolean][] = [
    ['127.0.0.1', true],
    ['127.3.2.1', true],
    ['::1', true],
    ['[::1]', true],
    ['::ffff:127.0.0.1', true],
    ['localhost', true],
    ['LOCALHOST', true],
    ['0.0.0.0', false],
    ['::', false],
    ['10.0.0.5', false],
    ['128.0.0.1', false],
    ['admin.lan', false],
    ['localhost.example.com', false],
  ]
  for (const [address, expected] of cases) t.equal(isLoopbackAddress(address), expected, address)
  t.ok(isIpLiteral('[fe80::1]') && isIpLiteral('10.0.0.1') && !isIpLiteral('localhost'))
})
