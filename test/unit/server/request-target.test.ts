import t from 'tap'
import { isValidHost, normalisePath, readTarget, RequestTarget, type PathRules } from '../../../src/server/request-target.js'

const DEFAULT_RULES: PathRules = { mergeSlashes: true, encodedSlashes: 'keep' }

t.test('request targets become origin-form paths, absolute-form gives its authority', async (t) => {
  const cases: [string | undefined, string, string | null, string | null][] = [
    ['/a/b?c=d', 'GET', '/a/b?c=d', null],
    ['http://example.com/a?b', 'GET', '/a?b', 'example.com'],
    ['HTTPS://example.com', 'GET', '/', 'example.com'],
    ['http://example.com?q=/x', 'GET', '/?q=/x', 'example.com'],
    ['http://example.com:8080/x/../y', 'GET', '/y', 'example.com:8080'],
    ['*', 'OPTIONS', '*', null],
  ]
  const out = new RequestTarget()
  for (const [target, method, path, authority] of cases) {
    t.equal(readTarget(target, method, DEFAULT_RULES, out), null, `${method} ${target} accepted`)
    t.same([out.path, out.authority], [path, authority], `${method} ${target}`)
  }
})

t.test('invalid targets are refused with a stable code', async (t) => {
  const cases: [string | undefined, string, string][] = [
    ['*', 'GET', 'BATON_BAD_REQUEST_TARGET'],
    ['example.com/a', 'GET', 'BATON_BAD_REQUEST_TARGET'],
    ['example.com:443', 'GET', 'BATON_BAD_REQUEST_TARGET'],
    ['', 'GET', 'BATON_BAD_REQUEST_TARGET'],
    [undefined, 'GET', 'BATON_BAD_REQUEST_TARGET'],
    ['http://user@example.com/', 'GET', 'BATON_BAD_HOST'],
    ['http:///x', 'GET', 'BATON_BAD_HOST'],
    ['/../x', 'GET', 'BATON_BAD_PATH'],
  ]
  const out = new RequestTarget()
  for (const [target, method, code] of cases) t.equal(readTarget(target, method, DEFAULT_RULES, out)?.code, code, `${method} ${target}`)
})

t.test('paths are normalised as RFC 3986 §5.2.4 and §6.2.2 say', async (t) => {
  const cases: [string, string | null][] = [
    ['/plain/path?x=/../y', '/plain/path?x=/../y'],
    ['/public/../admin', '/admin'],
    ['/public/%2e%2e/admin', '/admin'],
    ['/public/%2E%2e/admin', '/admin'],
    ['/a/./b/.', '/a/b/'],
    ['/a/b/..', '/a/'],
    ['/a//b///c', '/a/b/c'],
    ['//', '/'],
    ['/%41%62%7e%5f', '/Ab~_'],
    ['/a%3fb%2f', '/a%3Fb%2F'],
    ['/a%20b', '/a%20b'],
    ['/..', null],
    ['/a/../../b', null],
    ['/%2e%2e/etc/passwd', null],
    ['/bad%zz', null],
    ['/bad%4', null],
    ['/.well-known/x', '/.well-known/x'],
  ]
  for (const [path, expected] of cases) {
    const got = normalisePath(path, DEFAULT_RULES)
    t.equal(typeof got === 'string' ? got : null, expected, path)
  }
  t.equal(normalisePath('/a//b', { mergeSlashes: false, encodedSlashes: 'keep' }), '/a//b', 'slashes kept when not merging')
  const refused = normalisePath('/a%2Fb', { mergeSlashes: true, encodedSlashes: 'reject' })
  t.equal(typeof refused === 'string' ? refused : refused.code, 'BATON_ENCODED_SLASH', 'encoded slash refused when asked')
})

t.test('an unchanged path is the same string (no allocation on the common path)', async (t) => {
  const path = '/api/v1/items?id=3'
  t.equal(normalisePath(path, DEFAULT_RULES), path)
})

t.test('Host values: host [":" port] as RFC 9110 §7.2 and RFC 3986 §3.2.2 allow', async (t) => {
  const good = ['example.com', 'example.com:8080', 'EXAMPLE.com', '127.0.0.1:80', '[::1]', '[::1]:8080', 'a-b_c.d', 'host:']
  const bad = ['', 'a b', 'user@host', 'a/b', 'host:99999', 'host:8o', '[::1', '[zz]', 'a\tb', 'a,b:1:2', ':80']
  for (const h of good) t.ok(isValidHost(h), `valid: ${JSON.stringify(h)}`)
  for (const h of bad) t.notOk(isValidHost(h), `invalid: ${JSON.stringify(h)}`)
})
