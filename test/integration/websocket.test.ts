import t, { type Test } from 'tap'
import { once } from 'node:events'
import { randomBytes } from 'node:crypto'
import { request } from 'undici'
import type WebSocket from 'ws'
import { startBaton } from '../../src/index.js'
import { defaultListener } from '../../src/config/build.js'
import { testConfig } from '../helpers/baton-config.js'
import { eventually } from '../helpers/harness.js'
import { startServerRig } from '../helpers/proxy-server-rig.js'
import { handshakeHead, nextMessage, openClient, RawBackend, rawExchange, refusedHandshake, WsEchoBackend } from '../helpers/ws-backend.js'

// WebSocket tunnels (issue 12): `ws` on both ends, Baton between them on 127.0.0.1.

async function echoRig(t: Test, listener = defaultListener({ name: 'main', port: 0 })) {
  const backend = await new WsEchoBackend().start()
  const baton = await startBaton(testConfig([{ endpoints: [backend.url] }], { listeners: [listener] }))
  t.teardown(async () => {
    await baton.close()
    await backend.stop()
  })
  return { backend, baton, url: baton.listenerUrls[0], endpoint: baton.clusters[0].endpoints[0] }
}

function closed(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return once(ws, 'close').then(([code, reason]) => ({ code: code as number, reason: String(reason) }))
}

/** Raw [name, value, …] → lower-cased name → values. */
function fields(raw: string[]): Map<string, string[]> {
  const map = new Map<string, string[]>()
  for (let i = 0; i < raw.length; i += 2) map.set(raw[i].toLowerCase(), [...(map.get(raw[i].toLowerCase()) ?? []), raw[i + 1]])
  return map
}

t.test('a message is echoed through the tunnel; the backend saw a screened handshake with the forwarding fields', async (t) => {
  const { backend, url } = await echoRig(t)
  const ws = await openClient(url, '/chat/../room?x=1', { headers: { 'x-forwarded-proto': 'forged', 'x-custom': 'kept', via: '1.0 edge' } })
  ws.send('hello')
  t.equal((await nextMessage(ws)).toString(), 'hello', 'echoed')
  ws.send(Buffer.from([0, 1, 2, 255]))
  t.same([...(await nextMessage(ws))], [0, 1, 2, 255], 'a binary message too')
  const seen = fields(backend.handshakes[0].rawHeaders)
  t.equal(backend.handshakes[0].url, '/room?x=1', 'the path was normalised as for any request')
  t.same(seen.get('upgrade'), ['websocket'])
  t.same(seen.get('connection'), ['upgrade'])
  t.same(seen.get('x-forwarded-for'), ['127.0.0.1'])
  t.same(seen.get('x-forwarded-proto'), ['http'], 'the client cannot forge X-Forwarded-Proto')
  t.same(seen.get('via'), ['1.0 edge, 1.1 baton'])
  t.same(seen.get('x-custom'), ['kept'])
  t.ok(seen.has('sec-websocket-key') && seen.get('sec-websocket-version')?.[0] === '13', 'the handshake fields pass')
  ws.close()
  await closed(ws)
})

t.test('a 10 MiB message crosses both ways intact', async (t) => {
  const { url } = await echoRig(t)
  const ws = await openClient(url, '/', { maxPayload: 64 * 1024 * 1024 })
  const big = randomBytes(10 * 1024 * 1024)
  ws.send(big)
  const back = await nextMessage(ws)
  t.equal(back.length, big.length, '10 MiB back')
  t.ok(back.equals(big), 'byte for byte')
  ws.close()
  await closed(ws)
})

t.test('ping gets its pong through the tunnel', async (t) => {
  const { url } = await echoRig(t)
  const ws = await openClient(url)
  ws.ping(Buffer.from('are you there'))
  const [data] = (await once(ws, 'pong')) as [Buffer]
  t.equal(data.toString(), 'are you there', 'the backend answered the ping')
  ws.close()
  await closed(ws)
})

t.test('the close handshake passes both ways, then the tunnel is gone', async (t) => {
  const { backend, url, endpoint } = await echoRig(t)
  const ws = await openClient(url)
  await eventually(() => backend.sockets.size === 1)
  const [serverSide] = [...backend.sockets]
  const serverClosed = once(serverSide, 'close')
  ws.close(4000, 'bye')
  const client = await closed(ws)
  const [code, reason] = await serverClosed
  t.same([code, String(reason)], [4000, 'bye'], 'the backend got the close frame with its code and reason')
  t.same(client, { code: 4000, reason: 'bye' }, 'the client got the echoed close frame')
  t.ok(await eventually(() => endpoint.tunnels === 0 && endpoint.inflight === 0), 'the tunnel left the endpoint counts')
})

t.test('a backend dying mid-tunnel closes the client, and is not counted against the endpoint', async (t) => {
  const { backend, url, endpoint } = await echoRig(t)
  const ws = await openClient(url)
  ws.send('first')
  await nextMessage(ws)
  const before = endpoint.stats.snapshot(0)
  const clientClosed = closed(ws)
  for (const s of backend.sockets) s.terminate() // the TCP connection is cut, no close frame
  const { code } = await clientClosed
  t.equal(code, 1006, 'the client saw the connection go (abnormal closure)')
  t.ok(await eventually(() => endpoint.tunnels === 0 && endpoint.inflight === 0), 'counts back to zero')
  const after = endpoint.stats.snapshot(0)
  t.equal(after.errors, before.errors, 'a tunnel failure is no endpoint error')
  t.equal(after.latencyMs.count, before.latencyMs.count, 'nor a latency sample')
})

t.test('an open tunnel counts in flight for its endpoint and shows in /api/upstreams', async (t) => {
  const { url, baton, endpoint } = await echoRig(t)
  const ws = await openClient(url)
  t.equal(endpoint.inflight, 1, 'in flight while open')
  t.equal(endpoint.tunnels, 1, 'one tunnel')
  const res = await request(`${baton.adminUrl}/api/upstreams`)
  const [upstream] = (await res.body.json()) as { endpoints: { inflight: number; tunnels: number }[] }[]
  t.same([upstream.endpoints[0].inflight, upstream.endpoints[0].tunnels], [1, 1], 'the admin API shows it')
  t.equal(endpoint.stats.snapshot(0).byClass['1xx'], 1, 'the handshake was observed once, as a 101')
  ws.close()
  await closed(ws)
  t.ok(await eventually(() => endpoint.tunnels === 0 && endpoint.inflight === 0), 'and leaves when closed')
})

t.test('a non-101 answer is forwarded as a response and the connection is not tunnelled', async (t) => {
  const { backend, url, endpoint } = await echoRig(t)
  backend.reject = 403
  const refused = await refusedHandshake(url)
  t.equal(refused.status, 403, 'the backend status reached the client')
  t.equal(refused.headers.connection, 'close', 'the connection ends with it')
  t.equal(refused.headers.via, '1.1 baton', 'Via added as for any response')
  t.equal(refused.headers.upgrade, undefined, 'no Upgrade field')
  // Raw: nothing after the answer, and the connection closes.
  const raw = await rawExchange(url, handshakeHead('/') + 'frame bytes that must go nowhere')
  t.match(raw.text, /^HTTP\/1\.1 403 /, 'a plain 403')
  t.notMatch(raw.text, /101 Switching/, 'never a 101')
  t.ok(raw.closed, 'the connection closed after the answer')
  t.ok(await eventually(() => endpoint.inflight === 0 && endpoint.tunnels === 0), 'nothing left in flight')
})

t.test('no byte after the head reaches the backend before its 101; held bytes follow it', async (t) => {
  const backend = await new RawBackend().start()
  const baton = await startBaton(testConfig([{ endpoints: [backend.url] }]))
  t.teardown(async () => {
    await baton.close()
    await backend.stop()
  })
  const { port } = new URL(baton.listenerUrls[0])
  const net = await import('node:net')
  const client = net.connect(Number(port), '127.0.0.1')
  client.setEncoding('latin1')
  let got = ''
  client.on('data', (chunk: string) => (got += chunk))
  client.write(handshakeHead('/early') + 'EARLY-BYTES')
  await eventually(() => backend.received.includes('\r\n\r\n'))
  await new Promise((r) => setTimeout(r, 200))
  t.match(backend.received, /^GET \/early HTTP\/1\.1\r\n/, 'the handshake arrived')
  t.notOk(backend.received.includes('EARLY-BYTES'), 'the bytes after the head wait for the 101')
  backend.socket!.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\nFROM-BACKEND')
  t.ok(await eventually(() => backend.received.endsWith('EARLY-BYTES')), 'after the 101 the held bytes go through')
  t.ok(await eventually(() => got.endsWith('FROM-BACKEND')), 'and bytes flow back')
  t.match(got, /^HTTP\/1\.1 101 Switching Protocols\r\n/, 'the client got the 101')
  t.match(got, /\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n/, 'with Connection and Upgrade re-added')
  t.match(got, /\r\nvia: 1\.1 baton\r\n/i, 'and Via')
  client.write('MORE')
  t.ok(await eventually(() => backend.received.endsWith('MORE')), 'the tunnel carries bytes both ways')
  client.end() // half-close: the backend sees our FIN and may still answer
  await eventually(() => backend.socket!.readableEnded)
  t.ok(backend.socket!.readableEnded, 'the backend saw the half-close')
  backend.socket!.end('LAST')
  t.ok(await eventually(() => got.endsWith('LAST')), 'its last bytes still reached the client')
  client.destroy()
})

t.test('handshakes that break RFC 6455 get 400 and never reach a backend', async (t) => {
  const { backend, url } = await echoRig(t)
  const cases: { name: string; fields: Record<string, string | null>; path?: string; method?: string; code: string }[] = [
    { name: 'no Sec-WebSocket-Key', fields: { 'Sec-WebSocket-Key': null }, code: 'BATON_BAD_WEBSOCKET_HANDSHAKE' },
    { name: 'a key that is not 16 bytes', fields: { 'Sec-WebSocket-Key': 'c2hvcnQ=' }, code: 'BATON_BAD_WEBSOCKET_HANDSHAKE' },
    { name: 'version 8', fields: { 'Sec-WebSocket-Version': '8' }, code: 'BATON_BAD_WEBSOCKET_HANDSHAKE' },
    { name: 'no version', fields: { 'Sec-WebSocket-Version': null }, code: 'BATON_BAD_WEBSOCKET_HANDSHAKE' },
    { name: 'a path above the root (ordinary screening)', fields: {}, path: '/../x', code: 'BATON_BAD_PATH' },
    { name: 'a second Host (ordinary screening)', fields: { Host: 'a.test\r\nHost: b.test' }, code: 'BATON_BAD_HOST' },
  ]
  for (const c of cases) {
    const raw = await rawExchange(url, handshakeHead(c.path ?? '/', c.fields))
    t.match(raw.text, /^HTTP\/1\.1 400 Bad Request\r\n/, `${c.name}: 400`)
    t.match(raw.text, new RegExp(`"error":"${c.code}"`), `${c.name}: ${c.code}`)
    t.ok(raw.closed, `${c.name}: closed`)
    if (c.name === 'version 8') t.match(raw.text, /\r\nSec-WebSocket-Version: 13\r\n/, 'the refusal names version 13')
  }
  t.equal(backend.handshakes.length, 0, 'no backend saw any of them')
})

t.test('h2c and other upgrades stay plain HTTP/1.1', async (t) => {
  const { url } = await echoRig(t)
  const raw = await rawExchange(url, 'GET /h2c HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n', 500)
  t.notMatch(raw.text, /^HTTP\/1\.1 101/, 'no protocol switch')
  t.match(raw.text, /^HTTP\/1\.1 \d{3} /, 'an ordinary answer (the ws backend answers plain HTTP itself)')
})

t.test('maxTunnels bounds the tunnels of a listener: one more gets 503', async (t) => {
  const { url, endpoint } = await echoRig(t, defaultListener({ name: 'main', port: 0, maxTunnels: 2 }))
  const open = [await openClient(url), await openClient(url)]
  const refused = await refusedHandshake(url)
  t.equal(refused.status, 503, 'the third is refused')
  t.match(JSON.parse(refused.body), { error: 'BATON_TOO_MANY_TUNNELS' }, 'with a JSON body')
  t.equal(endpoint.tunnels, 2, 'the refused one never reached the endpoint')
  open[0].close()
  await closed(open[0])
  await eventually(() => endpoint.tunnels === 1)
  const again = await openClient(url)
  t.pass('a slot freed by a close is usable again')
  for (const ws of [open[1], again]) ws.close()
  await Promise.all([closed(open[1]), closed(again)])
})

t.test('closeTunnels(): new upgrades get 503, open tunnels last the grace, then close', async (t) => {
  const backend = await new WsEchoBackend().start()
  t.teardown(() => backend.stop())
  const config = testConfig([{ endpoints: [backend.url] }])
  const { server, url, clusters } = await startServerRig(t, config)
  const endpoint = clusters[0].endpoints[0]
  const ws = await openClient(url)
  t.equal(server.openTunnels, 1)
  const started = Date.now()
  const closing = server.closeTunnels(300)
  const refused = await refusedHandshake(url)
  t.equal(refused.status, 503, 'no new tunnel while closing')
  t.match(JSON.parse(refused.body), { error: 'BATON_SHUTTING_DOWN' })
  ws.send('still here')
  t.equal((await nextMessage(ws)).toString(), 'still here', 'the open tunnel works during the grace')
  const { code } = await closed(ws)
  await closing
  const elapsed = Date.now() - started
  t.equal(code, 1006, 'then it is cut')
  t.ok(elapsed >= 250 && elapsed < 2_000, `after the grace (${elapsed} ms)`)
  t.equal(server.openTunnels, 0)
  t.ok(await eventually(() => endpoint.inflight === 0 && endpoint.tunnels === 0), 'counts back to zero')
})

t.test('a refused connect to the backend is a 502 and a connect failure of the endpoint', async (t) => {
  const backend = await new WsEchoBackend().start()
  const baton = await startBaton(testConfig([{ endpoints: [backend.url] }]))
  t.teardown(() => baton.close())
  await backend.stop()
  const refused = await refusedHandshake(baton.listenerUrls[0])
  t.equal(refused.status, 502)
  t.match(JSON.parse(refused.body), { error: 'BATON_UPSTREAM_CONNECT' })
  const stats = baton.clusters[0].endpoints[0].stats.snapshot(0)
  t.same(stats.errorsByCode, { BATON_UPSTREAM_CONNECT: 1 }, 'counted against the endpoint as a connect failure')
})

t.test("Baton's close() ends with tunnels open", async (t) => {
  const backend = await new WsEchoBackend().start()
  t.teardown(() => backend.stop())
  const baton = await startBaton(testConfig([{ endpoints: [backend.url] }], { shutdown: { drainDelayMs: 0, drainTimeoutMs: 300, tunnelGraceMs: 300 } }))
  const ws = await openClient(baton.listenerUrls[0])
  const wsClosed = closed(ws)
  const started = Date.now()
  await baton.close()
  t.ok(Date.now() - started < 3_000, 'shutdown did not wait for the tunnel forever')
  t.equal((await wsClosed).code, 1006, 'the client saw its tunnel closed')
})

t.test("a quiet tunnel outlives the listener's request, header and keep-alive timeouts", async (t) => {
  const listener = defaultListener({ name: 'main', port: 0, headersTimeoutMs: 300, requestTimeoutMs: 400, keepAliveTimeoutMs: 200 })
  const { url } = await echoRig(t, listener)
  const ws = await openClient(url)
  await new Promise((r) => setTimeout(r, 1_500)) // Node checks these every second (connectionsCheckingInterval)
  ws.send('after a quiet while')
  t.equal((await nextMessage(ws)).toString(), 'after a quiet while', 'still open')
  ws.close()
  await closed(ws)
})

t.test('tunnels, refusals and non-101 answers leave no socket, timer or fd behind', async (t) => {
  const { LeakCheck } = await import('../helpers/leak-check.js')
  const backend = await new WsEchoBackend().start()
  t.teardown(() => backend.stop())
  const leaks = LeakCheck.baseline()
  const baton = await startBaton(testConfig([{ endpoints: [backend.url] }]))
  const url = baton.listenerUrls[0]
  const ws = await openClient(url)
  ws.send('x')
  await nextMessage(ws)
  ws.close()
  await closed(ws)
  await rawExchange(url, handshakeHead('/', { 'Sec-WebSocket-Key': null }))
  backend.reject = 401
  await refusedHandshake(url)
  const open = await (async () => {
    backend.reject = 0
    return openClient(url)
  })()
  const openClosed = closed(open)
  await baton.close()
  await openClosed
  await leaks.expectNoLeaks(t, 'after close(): nothing the tunnels or refusals created remains')
})
