import t from 'tap'
import { connect } from 'node:net'
import { request } from 'undici'
import { getText, startRig } from '../helpers/harness.js'
import { rawRequest } from '../helpers/raw-client.js'

t.test('upstream failures map to 502/504 with a stable JSON error code', async (t) => {
  const { url, backends } = await startRig(t, ['a'], { overrides: { responseHeadersTimeoutMs: 300 } })
  const cases = [
    { path: '/reset', status: 502, code: 'BATON_UPSTREAM_RESET' },
    { path: '/hang', status: 504, code: 'BATON_UPSTREAM_TIMEOUT' },
  ]
  for (const c of cases) {
    const res = await getText(url + c.path)
    t.equal(res.status, c.status, `${c.path} status`)
    t.equal(JSON.parse(res.body).error, c.code, `${c.path} code`)
    t.equal(res.headers['content-type'], 'application/json')
  }
  await backends[0].stop()
  const refused = await getText(`${url}/`)
  t.equal(refused.status, 502, 'refused connection → 502')
  t.equal(JSON.parse(refused.body).error, 'BATON_UPSTREAM_CONNECT')
})

t.test('a POST with a body to a refused backend still gets its 502', async (t) => {
  const { url, backends } = await startRig(t, ['a'])
  await backends[0].stop()
  const res = await request(`${url}/echo`, { method: 'POST', body: Buffer.alloc(200_000, 1) })
  t.equal(res.statusCode, 502)
  t.equal(((await res.body.json()) as { error: string }).error, 'BATON_UPSTREAM_CONNECT')
})

t.test('no available endpoint → 503; no matching route → 404', async (t) => {
  const { url, baton } = await startRig(t, ['a'], {}, {})
  baton.clusters[0].balancer.setAvailable([])
  const res = await getText(`${url}/`)
  t.equal(res.status, 503)
  t.equal(JSON.parse(res.body).error, 'BATON_NO_ENDPOINT')
})

t.test('requests that match no route get 404 BATON_NO_ROUTE', async (t) => {
  const rig = await startRig(t, ['a'], { name: 'api' }, {
    routes: [{ name: 'api', host: 'api.example.test', pathPrefix: '/v1/', upstream: 'api', retryNonIdempotent: null, maxBodyBytes: null, allowTrace: false, rateLimit: null }],
  })
  const miss = await rawRequest(`${rig.url}/v2/x`, { headers: { host: 'api.example.test' } })
  t.equal(miss.status, 404)
  t.equal(JSON.parse(miss.body).error, 'BATON_NO_ROUTE')
  const otherHost = await rawRequest(`${rig.url}/v1/x`, { headers: { host: 'other.test' } })
  t.equal(otherHost.status, 404)
  const hit = await rawRequest(`${rig.url}/v1/x`, { headers: { host: 'API.example.test:8080' } })
  t.equal(hit.status, 200, 'host match ignores case and port')
})

t.test('a backend dying after the headers gives the client a truncated response, not a clean end', async (t) => {
  const { url } = await startRig(t, ['a'])
  await t.rejects(rawRequest(`${url}/truncate`), 'client sees the connection break')
  const res = await request(`${url}/truncate`)
  t.equal(res.statusCode, 200, 'headers already went out as 200')
  await t.rejects(res.body.arrayBuffer(), 'undici sees the body cut short')
})

/** Sends raw bytes and returns the status line of the answer. */
function rawStatusLine(url: string, bytes: string): Promise<string> {
  const { hostname, port } = new URL(url)
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(bytes))
    let data = ''
    socket.setEncoding('latin1')
    socket.on('data', (chunk: string) => (data += chunk))
    socket.on('end', () => resolve(data.split('\r\n')[0]))
    socket.on('error', reject)
  })
}

t.test('malformed requests get the right 4xx', async (t) => {
  const { url } = await startRig(t, ['a'])
  const cases = [
    { name: 'oversize header', bytes: `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, status: '431' },
    { name: 'garbage request line', bytes: 'HELLO THERE\r\n\r\n', status: '400' },
    { name: 'bad header name', bytes: 'GET / HTTP/1.1\r\nHost: x\r\nBad Header: 1\r\n\r\n', status: '400' },
    { name: 'missing Host on HTTP/1.1', bytes: 'GET / HTTP/1.1\r\nConnection: close\r\n\r\n', status: '400' },
    { name: 'invalid request target', bytes: 'GET nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', status: '400' },
  ]
  for (const c of cases) {
    const line = await rawStatusLine(url, c.bytes)
    t.match(line, new RegExp(`^HTTP/1\\.1 ${c.status} `), c.name)
  }
})
