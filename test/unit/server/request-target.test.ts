import t from 'tap'
import { upstreamPath } from '../../../src/server/request-target.js'

t.test('request targets become origin-form paths', async (t) => {
  const cases: [string | undefined, string, string | null][] = [
    ['/a/b?c=d', 'GET', '/a/b?c=d'],
    ['http://example.com/a?b', 'GET', '/a?b'],
    ['HTTPS://example.com', 'GET', '/'],
    ['http://example.com?q=/x', 'GET', '/?q=/x'],
    ['*', 'OPTIONS', '*'],
    ['*', 'GET', null],
    ['example.com/a', 'GET', null],
    ['', 'GET', null],
    [undefined, 'GET', null],
  ]
  for (const [target, method, expected] of cases) t.equal(upstreamPath(target, method), expected, `${method} ${target}`)
})
