import t from 'tap'
import { createServer } from 'node:http'
import { request } from 'undici'
import { startBaton } from '../../src/index.js'
import { testConfig } from '../helpers/baton-config.js'
import { startRig } from '../helpers/harness.js'
import { rawRequest } from '../helpers/raw-client.js'

/** Raw [name, value, …] pairs → lower-cased name → values in order. */
function headerMap(raw: string[]): Map<string, string[]> {
  const map = new Map<string, string[]>()
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i].toLowerCase()
    map.set(name, [...(map.get(name) ?? []), raw[i + 1]])
  }
  return map
}

async function echoHeaders(url: string, headers: Record<string, string>): Promise<Map<string, string[]>> {
  const res = await rawRequest(`${url}/echo`, { headers })
  return headerMap((JSON.parse(res.body) as { headers: string[] }).headers)
}

t.test('hop-by-hop request headers and those named in Connection are stripped', async (t) => {
  const { url } = await startRig(t, ['a'])
  const seen = await echoHeaders(url, {
    connection: 'keep-alive, X-Secret-Hop, x-other-hop',
    'x-secret-hop': 'must not pass',
    'x-other-hop': 'must not pass',
    'keep-alive': 'timeout=5',
    'proxy-connection': 'keep-alive',
    te: 'trailers',
    'x-end-to-end': 'passes',
  })
  for (const name of ['x-secret-hop', 'x-other-hop', 'keep-alive', 'proxy-connection', 'te']) {
    t.notOk(seen.has(name), `${name} stripped`)
  }
  t.same(seen.get('x-end-to-end'), ['passes'])
})

t.test('X-Forwarded-* and Via are added after stripping, so a client cannot remove or forge them', async (t) => {
  const { url } = await startRig(t, ['a'])
  const cases: { sent: Record<string, string>; xff: string; via: string }[] = [
    { sent: {}, xff: '127.0.0.1', via: '1.1 baton' },
    { sent: { 'x-forwarded-for': '203.0.113.9', via: '1.0 edge' }, xff: '203.0.113.9, 127.0.0.1', via: '1.0 edge, 1.1 baton' },
    { sent: { connection: 'x-forwarded-for, via, x-forwarded-proto', 'x-forwarded-for': '1.1.1.1' }, xff: '127.0.0.1', via: '1.1 baton' },
    { sent: { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'forged.test' }, xff: '127.0.0.1', via: '1.1 baton' },
  ]
  for (const c of cases) {
    const seen = await echoHeaders(url, { host: 'shop.example.test', ...c.sent })
    t.same(seen.get('x-forwarded-for'), [c.xff], `xff for ${JSON.stringify(c.sent)}`)
    t.same(seen.get('via'), [c.via], `via for ${JSON.stringify(c.sent)}`)
    t.same(seen.get('x-forwarded-proto'), ['http'], 'proto is the listener scheme')
    t.same(seen.get('x-forwarded-host'), ['shop.example.test'], 'forwarded host is the client Host')
    t.same(seen.get('host'), ['shop.example.test'], 'Host kept by default')
  }
})

t.test('rewriteHost sends the endpoint authority as Host', async (t) => {
  const { url, backends } = await startRig(t, ['a'], { overrides: { rewriteHost: true } })
  const seen = await echoHeaders(url, { host: 'shop.example.test' })
  t.same(seen.get('host'), [new URL(backends[0].url).host])
  t.same(seen.get('x-forwarded-host'), ['shop.example.test'])
})

t.test('header names like __proto__ and constructor are ordinary headers', async (t) => {
  const { url } = await startRig(t, ['a'])
  const seen = await echoHeaders(url, { __proto__: 'x', constructor: 'y', 'x-a': 'z' } as Record<string, string>)
  t.same(seen.get('constructor'), ['y'])
  t.same(seen.get('x-a'), ['z'])
})

t.test('hop-by-hop response headers are stripped; Via is appended; repeated headers survive', async (t) => {
  const backend = createServer((_req, res) => {
    res.writeHead(200, [
      'Connection', 'x-internal',
      'X-Internal', 'secret',
      'Keep-Alive', 'timeout=9',
      'Set-Cookie', 'a=1',
      'Set-Cookie', 'b=2',
      'Via', '1.1 app',
      'Content-Length', '2',
    ])
    res.end('ok')
  })
  await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r))
  const port = (backend.address() as { port: number }).port
  const baton = await startBaton(testConfig([{ endpoints: [`http://127.0.0.1:${port}`] }]))
  t.teardown(async () => {
    await baton.close()
    backend.close()
  })
  const res = await request(`${baton.listenerUrls[0]}/`)
  await res.body.text()
  t.equal(res.headers['x-internal'], undefined)
  t.not(res.headers['keep-alive'], 'timeout=9')
  t.same(res.headers['set-cookie'], ['a=1', 'b=2'])
  t.equal(res.headers.via, '1.1 app, 1.1 baton')
})
