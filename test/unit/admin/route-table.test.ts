import t from 'tap'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { RouteTable, type RouteAccess } from '../../../src/admin/route-table.js'
import { sendError } from '../../../src/util/error-response.js'
import { rawRequest } from '../../helpers/raw-client.js'

t.test('a route whose access contradicts its method is refused when added', async (t) => {
  const table = new RouteTable(() => ({ actor: 'test' }))
  const noop = (): void => {}
  t.throws(() => table.add('GET', '/x', 'write', noop), /must not use a safe method/, 'a write on GET')
  t.throws(() => table.add('POST', '/x', 'read', noop), /must be declared a write/, 'a POST that is not a write')
  t.throws(() => table.add('DELETE', '/x', 'public', noop), /must be declared a write/)
  t.doesNotThrow(() => table.add('POST', '/x', 'write', noop).add('HEAD', '/y', 'public', noop))
})

t.test('every request passes the guard with its route access before the handler, 404 and 405 included', async (t) => {
  const seen: { path: string; access: RouteAccess }[] = []
  /** Refuses /api/secret unless read; records what it was asked. */
  const guard = (req: IncomingMessage, res: ServerResponse, access: RouteAccess): { actor: string } | null => {
    seen.push({ path: req.url ?? '', access })
    if (req.headers['x-deny'] === undefined) return { actor: 'test' }
    sendError(res, 401, 'DENIED', 'no')
    return null
  }
  const ok = (_req: IncomingMessage, res: ServerResponse): void => void res.end('ran')
  const table = new RouteTable(guard).add('GET', '/healthz', 'public', ok).add('GET', '/api/x', 'read', ok).add('POST', '/api/x/do', 'write', ok)
  const server = createServer((req, res) => void table.handle(req, res))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  const cases: { method: string; path: string; access: RouteAccess; status: number; denied: number }[] = [
    { method: 'GET', path: '/healthz', access: 'public', status: 200, denied: 401 },
    { method: 'HEAD', path: '/api/x', access: 'read', status: 200, denied: 401 },
    { method: 'POST', path: '/api/x/do', access: 'write', status: 200, denied: 401 },
    { method: 'GET', path: '/nope', access: 'read', status: 404, denied: 401 },
    { method: 'POST', path: '/healthz', access: 'public', status: 405, denied: 401 },
    { method: 'POST', path: '/api/x', access: 'read', status: 405, denied: 401 },
    { method: 'GET', path: '/api/x/do', access: 'read', status: 405, denied: 401 },
  ]
  for (const c of cases) {
    seen.length = 0
    const admitted = await rawRequest(`${base}${c.path}`, { method: c.method })
    t.equal(admitted.status, c.status, `${c.method} ${c.path}`)
    t.same(seen, [{ path: c.path, access: c.access }], `${c.method} ${c.path}: guarded as ${c.access}`)
    const denied = await rawRequest(`${base}${c.path}`, { method: c.method, headers: { 'x-deny': '1' } })
    t.equal(denied.status, c.denied, `${c.method} ${c.path} refused by the guard`)
    t.notOk(denied.body.includes('ran'), `${c.method} ${c.path}: handler not run when refused`)
  }
})

t.test('path parameters: whole segments, URL-decoded, exact paths first; the handler learns the caller', async (t) => {
  const seen: unknown[] = []
  const table = new RouteTable(() => ({ actor: 'ops' }))
    .add('POST', '/api/upstreams/:upstream/endpoints/:endpoint/drain', 'write', (_req, res, call) => {
      seen.push({ ...call.params, actor: call.actor })
      res.end('ran')
    })
    .add('GET', '/api/upstreams/special', 'read', (_req, res) => void res.end('exact'))
    .add('GET', '/api/upstreams/:upstream', 'read', (_req, res, call) => void res.end(`param ${call.params.upstream}`))
  const server = createServer((req, res) => void table.handle(req, res))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  const drained = await rawRequest(`${base}/api/upstreams/my%20api/endpoints/127.0.0.1%3A8080/drain?x=1`, { method: 'POST' })
  t.equal(drained.status, 200)
  t.same(seen, [{ upstream: 'my api', endpoint: '127.0.0.1:8080', actor: 'ops' }], 'decoded, query ignored')
  t.equal((await rawRequest(`${base}/api/upstreams/special`)).body, 'exact', 'an exact path wins over a pattern')
  t.equal((await rawRequest(`${base}/api/upstreams/other`)).body, 'param other')
  const cases: { method: string; path: string; status: number }[] = [
    { method: 'POST', path: '/api/upstreams/api/endpoints//drain', status: 404 }, // an empty segment is no parameter
    { method: 'POST', path: '/api/upstreams/api/endpoints/%E0%A4%A/drain', status: 404 }, // does not decode
    { method: 'POST', path: '/api/upstreams/api/endpoints/a/b/drain', status: 404 }, // a parameter is one segment
    { method: 'POST', path: '/api/upstreams/api/endpoints/a/explode', status: 404 },
    { method: 'GET', path: '/api/upstreams/api/endpoints/a/drain', status: 405 },
  ]
  for (const c of cases) t.equal((await rawRequest(`${base}${c.path}`, { method: c.method })).status, c.status, `${c.method} ${c.path}`)
  t.equal(seen.length, 1, 'no other call reached the handler')
})
