import t from 'tap'
import type { RouteConfig } from '../../../src/config/types.js'
import { Router } from '../../../src/router/router.js'
import { normaliseHost } from '../../../src/util/authority.js'

const routes: RouteConfig[] = [
  { name: 'api-v1', host: 'api.example.com', pathPrefix: '/v1/', upstream: 'v1', retryNonIdempotent: null, maxBodyBytes: null, allowTrace: false, rateLimit: null },
  { name: 'api', host: 'api.example.com', pathPrefix: '/', upstream: 'api', retryNonIdempotent: null, maxBodyBytes: null, allowTrace: false, rateLimit: null },
  { name: 'tenants', host: '*.tenants.example.com', pathPrefix: '/', upstream: 'tenants', retryNonIdempotent: null, maxBodyBytes: null, allowTrace: false, rateLimit: null },
  { name: 'static', host: null, pathPrefix: '/static/', upstream: 'static', retryNonIdempotent: null, maxBodyBytes: null, allowTrace: false, rateLimit: null },
]

t.test('first matching route wins; host ignores case and port; wildcards match subdomains only', async (t) => {
  const router = new Router(routes, (r) => r.upstream)
  const cases: [string | undefined, string, string | null][] = [
    ['api.example.com', '/v1/users', 'v1'],
    ['API.Example.COM:8443', '/v1/users', 'v1'],
    ['api.example.com', '/v2/users', 'api'],
    ['a.tenants.example.com', '/x', 'tenants'],
    ['deep.a.tenants.example.com', '/x', 'tenants'],
    ['tenants.example.com', '/x', null],
    ['other.test', '/static/app.js', 'static'],
    [undefined, '/static/app.js', 'static'],
    ['other.test', '/', null],
  ]
  for (const [host, path, expected] of cases) t.equal(router.match(host, path), expected, `${host} ${path}`)
})

t.test('normaliseHost', async (t) => {
  const cases: [string | undefined, string][] = [
    ['Example.COM', 'example.com'],
    ['example.com:80', 'example.com'],
    ['[::1]:8080', '[::1]'],
    ['[::1]', '[::1]'],
    [undefined, ''],
  ]
  for (const [input, expected] of cases) t.equal(normaliseHost(input), expected, String(input))
})
