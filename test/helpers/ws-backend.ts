import type { IncomingMessage } from 'node:http'
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net'
import { once } from 'node:events'
import WebSocket, { WebSocketServer } from 'ws'

/**
 * A WebSocket echo backend on 127.0.0.1:0 (the `ws` package): every message comes back as it was sent, and the
 * handshake requests it accepted are kept, raw headers included, so a test sees what Baton forwarded. `reject`
 * makes it answer handshakes with that status instead (ws's own non-101 answer, a body included).
 */
export class WsEchoBackend {
  readonly handshakes: IncomingMessage[] = []
  readonly sockets = new Set<WebSocket>()
  /** Answer handshakes with this status instead of 101; 0 accepts them. */
  reject = 0
  url = ''
  private server: WebSocketServer | null = null

  async start(): Promise<this> {
    const server = new WebSocketServer({
      host: '127.0.0.1',
      port: 0,
      maxPayload: 64 * 1024 * 1024,
      verifyClient: (_info, done) => (this.reject === 0 ? done(true) : done(false, this.reject, 'refused by the test backend')),
    })
    this.server = server
    server.on('connection', (ws, req) => {
      this.handshakes.push(req)
      this.sockets.add(ws)
      ws.on('close', () => this.sockets.delete(ws))
      ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }))
    })
    await once(server, 'listening')
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    return this
  }

  /** Cuts every connection (no close frame) and stops listening. */
  async stop(): Promise<void> {
    if (this.server === null) return
    for (const ws of this.sockets) ws.terminate()
    await new Promise<void>((resolve) => this.server!.close(() => resolve()))
    this.server = null
  }
}

/**
 * A raw TCP backend that records what it receives and answers only when told: it shows what reached the backend
 * before its answer (nothing after the request head, before a 101).
 */
export class RawBackend {
  url = ''
  received = ''
  socket: Socket | null = null
  // allowHalfOpen: a FIN from Baton leaves this side open, so a test can answer after a half-close.
  private readonly server: Server = createServer({ allowHalfOpen: true }, (socket) => {
    this.socket = socket
    socket.setEncoding('latin1')
    socket.on('data', (chunk: string) => (this.received += chunk))
    socket.on('error', () => {})
  })

  async start(): Promise<this> {
    this.server.listen(0, '127.0.0.1')
    await once(this.server, 'listening')
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`
    return this
  }

  async stop(): Promise<void> {
    this.socket?.destroy()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }
}

/** A WebSocket client to Baton's `httpUrl` + `path`; resolves once open. */
export async function openClient(httpUrl: string, path = '/', options: WebSocket.ClientOptions = {}): Promise<WebSocket> {
  const ws = new WebSocket(`${httpUrl.replace(/^http/, 'ws')}${path}`, options)
  await once(ws, 'open')
  return ws
}

/** The next message on `ws`, as a Buffer. */
export async function nextMessage(ws: WebSocket): Promise<Buffer> {
  const [data] = (await once(ws, 'message')) as [WebSocket.RawData]
  return Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as Buffer)
}

/** What a refused handshake got: its status, headers and body (ws's 'unexpected-response'). */
export async function refusedHandshake(httpUrl: string, path = '/', headers: Record<string, string> = {}): Promise<{ status: number; headers: IncomingMessage['headers']; body: string }> {
  const ws = new WebSocket(`${httpUrl.replace(/^http/, 'ws')}${path}`, { headers })
  ws.on('error', () => {})
  const [, res] = (await once(ws, 'unexpected-response')) as [unknown, IncomingMessage]
  let body = ''
  res.setEncoding('utf8')
  for await (const chunk of res) body += chunk as string
  return { status: res.statusCode ?? 0, headers: res.headers, body }
}

/** One raw connection: sends `bytes`, collects what comes back until the connection closes or `waitMs` pass. */
export async function rawExchange(httpUrl: string, bytes: string, waitMs = 2_000): Promise<{ text: string; closed: boolean }> {
  const { port } = new URL(httpUrl)
  const socket = connect(Number(port), '127.0.0.1')
  socket.setEncoding('latin1')
  let text = ''
  socket.on('data', (chunk: string) => (text += chunk))
  socket.on('error', () => {})
  socket.write(bytes)
  const closed = await Promise.race([once(socket, 'close').then(() => true), new Promise<boolean>((r) => setTimeout(r, waitMs, false))])
  socket.destroy()
  return { text, closed }
}

/** A handshake request head: GET `path` with a valid key and version unless `fields` change them. */
export function handshakeHead(path: string, fields: Record<string, string | null> = {}): string {
  const base: Record<string, string | null> = {
    Host: 'ws.example.test',
    Connection: 'Upgrade',
    Upgrade: 'websocket',
    'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
    'Sec-WebSocket-Version': '13',
    ...fields,
  }
  let head = `GET ${path} HTTP/1.1\r\n`
  for (const [name, value] of Object.entries(base)) if (value !== null) head += `${name}: ${value}\r\n`
  return `${head}\r\n`
}
