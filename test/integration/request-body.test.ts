import t, { type Test } from 'tap'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { catchAllRoute, defaultListener } from '../../src/config/build.js'
import { startBaton } from '../../src/index.js'
import { exchange } from '../conformance/raw-exchange.js'
import { parseSegments, type Segment } from '../conformance/segments.js'
import { testConfig } from '../helpers/baton-config.js'
import { eventually } from '../helpers/harness.js'
import { TrackedServer } from '../helpers/tracked-server.js'

/**
 * Request bodies: the size limit (413, declared or while streaming), framing that breaks mid-body (the upstream
 * request is aborted, so no backend sees a complete request the client never sent), and keep-alive after a
 * streamed body.
 */

/** A backend that tells requests whose body arrived whole from those whose upload broke off. */
class BodyWitness {
  complete = 0
  broken = 0
  heads = 0
  url = ''
  private readonly listener = new TrackedServer(createServer((req, res) => this.serve(req, res)))

  async start(): Promise<this> {
    this.url = `http://127.0.0.1:${await this.listener.listen()}`
    return this
  }

  stop(): Promise<void> {
    return this.listener.close()
  }

  private serve(req: IncomingMessage, res: ServerResponse): void {
    this.heads++
    let bytes = 0
    req.on('data', (chunk: Buffer) => (bytes += chunk.length))
    req.on('end', () => {
      this.complete++
      res.end(`got ${bytes}`)
    })
    req.on('aborted', () => this.broken++)
    req.on('error', () => undefined)
  }
}

async function rig(t: Test, listener = defaultListener({ name: 'main', port: 0, maxBodyBytes: 64 * 1024 })) {
  const backend = await new BodyWitness().start()
  const config = testConfig([{ name: 'api', endpoints: [backend.url] }], {
    listeners: [listener],
    routes: [{ ...catchAllRoute('big', 'api'), pathPrefix: '/big/', maxBodyBytes: 0 }, catchAllRoute('rest', 'api')],
  })
  const baton = await startBaton(config)
  t.teardown(async () => {
    await baton.close()
    await backend.stop()
  })
  return { backend, port: Number(new URL(baton.listenerUrls[0]).port) }
}

const RAW = { head: false, endAfterSend: false, responses: 1, lingerMs: 100, waitForClose: true, deadlineMs: 5_000 }
const chunked = (bytes: number): string => `${bytes.toString(16)}\r\n${'x'.repeat(bytes)}\r\n`

t.test('a declared Content-Length over maxBodySize gets 413 before anything is forwarded, then the connection closes', async (t) => {
  const { backend, port } = await rig(t)
  for (const length of [64 * 1024 + 1, 2 * 1024 * 1024, 2 * 1024 * 1024 * 1024]) {
    const got = await exchange(port, parseSegments(`POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: ${length}\r\n\r\nxxxx`, 'cl'), RAW)
    t.match(got.text, /^HTTP\/1\.1 413 [^]*BATON_BODY_TOO_LARGE/, `Content-Length ${length}: 413`)
    t.ok(got.closed, 'closed: the body is never read')
  }
  t.equal(backend.heads, 0, 'nothing reached the backend')
})

t.test('a chunked body that grows past maxBodySize is cut: 413, upstream aborted', async (t) => {
  const { backend, port } = await rig(t)
  const segments: Segment[] = parseSegments(['POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n', { repeat: chunked(16 * 1024), times: 8 }, '0\r\n\r\n'], 'te')
  const got = await exchange(port, segments, RAW)
  t.match(got.text, /^HTTP\/1\.1 413 [^]*BATON_BODY_TOO_LARGE/)
  t.ok(await eventually(() => backend.heads === backend.broken, 2_000), 'every upload the backend saw broke off')
  t.equal(backend.complete, 0, 'the backend never saw a complete request')
})

t.test('a route may lift the limit (maxBodySize 0 = unlimited)', async (t) => {
  const { backend, port } = await rig(t)
  const body = 'y'.repeat(200 * 1024)
  const got = await exchange(port, parseSegments(`POST /big/up HTTP/1.1\r\nHost: a\r\nContent-Length: ${body.length}\r\n\r\n${body}`, 'big'), { ...RAW, waitForClose: false })
  t.match(got.text, new RegExp(`^HTTP/1\\.1 200 [^]*got ${body.length}`))
  t.equal(backend.complete, 1)
})

t.test('a chunked body whose framing breaks mid-stream: 400, and the backend never sees it complete', async (t) => {
  const { backend, port } = await rig(t)
  const segments = parseSegments(['POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n', chunked(100), { pause: 150 }, 'zz\r\nnot a chunk\r\n0\r\n\r\n'], 'broken')
  const got = await exchange(port, segments, RAW)
  t.match(got.text, /^HTTP\/1\.1 400 [^]*BATON_BAD_REQUEST_BODY/)
  t.ok(got.closed, 'the connection closes after the 400')
  t.ok(await eventually(() => backend.broken === 1, 2_000), 'the upstream upload was cut')
  t.equal(backend.complete, 0, 'never a complete request')
})

t.test('after a streamed body read to its end, the connection stays usable', async (t) => {
  const { backend, port } = await rig(t)
  const body = 'z'.repeat(40 * 1024)
  const segments = parseSegments([
    'POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n', chunked(body.length), '0\r\n\r\n',
    { waitFor: '^HTTP/1\\.1 200', timeoutMs: 2_000 },
    `POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
  ], 'keep-alive')
  const got = await exchange(port, segments, { ...RAW, responses: 2, waitForClose: false })
  t.equal(got.read.complete, 2, 'both answered on one connection')
  t.notMatch(got.text, /connection: close/i, 'no response said close')
  t.notOk(got.closed, 'still open')
  t.equal(backend.complete, 2)
})

t.test('a valid request followed on the same connection by a malformed one: its response first, then 400 and the close', async (t) => {
  const { backend, port } = await rig(t)
  const got = await exchange(port, parseSegments('GET /a HTTP/1.1\r\nHost: a\r\n\r\nGET /b HTTP/1.1\r\nHost: a\r\nBad Header\r\n\r\n', 'pipelined'), { ...RAW, responses: 2 })
  t.match(got.text, /^HTTP\/1\.1 200 [^]*got 0HTTP\/1\.1 400 /, '200 (whose request ran) then 400')
  t.ok(got.closed)
  t.equal(backend.complete, 1)
})
