import t from 'tap'
import { Readable } from 'node:stream'
import { request } from 'undici'
import { startRig } from '../helpers/harness.js'

interface Echo {
  name: string
  method: string
  url: string
  headers: string[]
  bodyBytes: number
}

t.test('methods, paths and bodies pass through unchanged', async (t) => {
  const { url } = await startRig(t, ['a'])
  const cases = [
    { method: 'GET', path: '/echo?q=1&r=%20x', body: undefined, bytes: 0 },
    { method: 'POST', path: '/echo/form', body: 'x'.repeat(10_000), bytes: 10_000 },
    { method: 'PUT', path: '/echo', body: Buffer.alloc(1_000_000, 1), bytes: 1_000_000 },
    { method: 'DELETE', path: '/echo/item/7', body: undefined, bytes: 0 },
    { method: 'PATCH', path: '/echo', body: '{"a":1}', bytes: 7 },
  ] as const
  for (const c of cases) {
    const res = await request(url + c.path, { method: c.method, body: c.body })
    const echo = (await res.body.json()) as Echo
    t.equal(res.statusCode, 200, `${c.method} status`)
    t.equal(echo.method, c.method, `${c.method} method`)
    t.equal(echo.url, c.path, `${c.method} path and query`)
    t.equal(echo.bodyBytes, c.bytes, `${c.method} body bytes`)
  }
})

t.test('a chunked request body of unknown length streams through', async (t) => {
  const { url } = await startRig(t, ['a'])
  async function* chunks() {
    for (let i = 0; i < 50; i++) yield Buffer.alloc(1_000, i)
  }
  const res = await request(`${url}/echo`, { method: 'POST', body: Readable.from(chunks()) })
  const echo = (await res.body.json()) as Echo
  t.equal(echo.bodyBytes, 50_000)
})

t.test('HEAD keeps the upstream content-length and sends no body', async (t) => {
  const { url } = await startRig(t, ['a'])
  const res = await request(`${url}/download/12345`, { method: 'HEAD' })
  t.equal(res.statusCode, 200)
  t.equal(res.headers['content-length'], '12345')
  t.equal((await res.body.arrayBuffer()).byteLength, 0)
})

t.test('upstream status codes and bodies reach the client', async (t) => {
  const { url } = await startRig(t, ['a'])
  for (const status of [201, 204, 301, 404, 418, 500, 503]) {
    const res = await request(`${url}/status/${status}`)
    const text = await res.body.text()
    t.equal(res.statusCode, status, `status ${status}`)
    t.equal(text, status === 204 ? '' : `status ${status}`, `body of ${status}`)
  }
})

t.test('absolute-form request targets are forwarded as origin-form', async (t) => {
  const { url, backends } = await startRig(t, ['a'])
  const { request: rawRequest } = await import('node:http')
  const port = Number(new URL(url).port)
  const body = await new Promise<string>((resolve, reject) => {
    const req = rawRequest({ host: '127.0.0.1', port, path: 'http://example.test/echo?x=1', headers: { host: 'example.test' } }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (c: string) => (text += c))
      res.on('end', () => resolve(text))
    })
    req.on('error', reject)
    req.end()
  })
  t.equal((JSON.parse(body) as Echo).url, '/echo?x=1')
  t.equal(backends[0].requests, 1)
})
