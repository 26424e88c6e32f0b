import type { IncomingMessage } from 'node:http'
import t from 'tap'
import { RequestHead } from '../../../src/forward/request-headers.js'
import { REJECTIONS } from '../../../src/forward/request-rejections.js'
import { asksForWebSocket } from '../../../src/server/baton-request.js'
import { webSocketRefusal } from '../../../src/server/websocket-handshake.js'

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==' // RFC 6455 §1.3's sample nonce

function request(raw: string[], method = 'GET', minor = 1): IncomingMessage {
  return { method, httpVersionMinor: minor, rawHeaders: raw } as unknown as IncomingMessage
}

t.test('only an Upgrade naming websocket goes to the tunnel', async (t) => {
  const cases: [string[], boolean][] = [
    [['Upgrade', 'websocket'], true],
    [['upgrade', 'WebSocket'], true],
    [['Upgrade', 'h2c, websocket'], true],
    [['Upgrade', 'h2c'], false],
    [['Upgrade', 'websocket2'], false],
    [['X-Upgrade', 'websocket'], false],
    [[], false],
  ]
  for (const [raw, expected] of cases) t.equal(asksForWebSocket(raw), expected, JSON.stringify(raw))
})

t.test('RFC 6455 handshake rules', async (t) => {
  const good = ['Sec-WebSocket-Key', KEY, 'Sec-WebSocket-Version', '13']
  const cases: { name: string; req: IncomingMessage; head?: Partial<RequestHead>; expected: unknown }[] = [
    { name: 'a valid handshake', req: request(good), expected: null },
    { name: 'POST', req: request(good, 'POST'), expected: REJECTIONS.webSocketNotGet },
    { name: 'HTTP/1.0', req: request(good, 'GET', 0), expected: REJECTIONS.webSocketNotGet },
    { name: 'a body', req: request(good), head: { contentLength: '5' }, expected: REJECTIONS.webSocketNotGet },
    { name: 'Content-Length: 0 is no body', req: request(good), head: { contentLength: '0' }, expected: null },
    { name: 'chunked', req: request(good), head: { transferEncoding: 'chunked' }, expected: REJECTIONS.webSocketNotGet },
    { name: 'no key', req: request(['Sec-WebSocket-Version', '13']), expected: REJECTIONS.webSocketKey },
    { name: 'two keys', req: request([...good, 'Sec-WebSocket-Key', KEY]), expected: REJECTIONS.webSocketKey },
    { name: 'a 15-byte key', req: request(['Sec-WebSocket-Key', 'AAAAAAAAAAAAAAAAAAAA', 'Sec-WebSocket-Version', '13']), expected: REJECTIONS.webSocketKey },
    { name: 'not base64', req: request(['Sec-WebSocket-Key', 'dGhlIHNhbXBsZSBub25jZ*==', 'Sec-WebSocket-Version', '13']), expected: REJECTIONS.webSocketKey },
    { name: 'version 8', req: request(['Sec-WebSocket-Key', KEY, 'Sec-WebSocket-Version', '8']), expected: REJECTIONS.webSocketVersion },
    { name: 'two versions', req: request([...good, 'Sec-WebSocket-Version', '13']), expected: REJECTIONS.webSocketVersion },
    { name: 'no version', req: request(['Sec-WebSocket-Key', KEY]), expected: REJECTIONS.webSocketVersion },
  ]
  for (const c of cases) {
    const head = Object.assign(new RequestHead(), c.head ?? {})
    t.equal(webSocketRefusal(c.req, head), c.expected, c.name)
  }
})
