import { createServer, type AddressInfo, type Server, type Socket } from 'node:net'
import { sleep } from './raw-exchange.js'
import type { Segment } from './segments.js'

/** What the backend sends instead of its fixed answer (response cases). */
export interface ResponseScript {
  readonly bytes: readonly Segment[]
  /** Answer once a request head arrived, or once the whole request did. */
  readonly respondAt: 'head' | 'request'
  /** Then close (FIN), keep the connection, or reset it. */
  readonly then: 'close' | 'keep' | 'reset'
}

/** The answer to every request it can parse, unless a script says otherwise. */
const FIXED_RESPONSE = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Recorded: yes\r\n\r\nok'
const FIXED_HEAD_RESPONSE = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Recorded: yes\r\n\r\n'

interface Connection {
  buffer: Buffer
  /** The current request's head has been answered already (respondAt: head). */
  answeredHead: boolean
  /** Parsing stopped: the bytes could not be framed, or a script ended the exchange. */
  stopped: boolean
}

/**
 * A raw node:net backend on 127.0.0.1 that records every byte it receives, on every connection, since the
 * last reset(); counts the requests it could parse completely (its own minimal HTTP/1.1 framing: head,
 * then Content-Length or chunked); and answers each one with a fixed 200, or with a script's raw bytes.
 * Raw, not node:http, so it sees exactly what Baton sent and can answer what no real server would.
 */
export class RecordingBackend {
  port = 0
  url = ''
  /** Complete requests parsed since the last reset. */
  completeRequests = 0
  /** Connections opened since the last reset. */
  connections = 0
  private chunks: Buffer[] = []
  private script: ResponseScript | null = null
  private readonly sockets = new Set<Socket>()
  private readonly server: Server = createServer((socket) => this.accept(socket))

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve))
    this.port = (this.server.address() as AddressInfo).port
    this.url = `http://127.0.0.1:${this.port}`
    return this
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }

  /** Forgets what was received; from now on answers with `script` (null: the fixed 200). */
  reset(script: ResponseScript | null): void {
    this.chunks = []
    this.completeRequests = 0
    this.connections = 0
    this.script = script
  }

  /** Every byte received since the last reset, in arrival order, latin1. */
  get received(): string {
    return Buffer.concat(this.chunks).toString('latin1')
  }

  private accept(socket: Socket): void {
    this.connections++
    this.sockets.add(socket)
    const conn: Connection = { buffer: Buffer.alloc(0), answeredHead: false, stopped: false }
    socket.on('data', (chunk: Buffer) => {
      this.chunks.push(chunk)
      if (conn.stopped) return
      conn.buffer = Buffer.concat([conn.buffer, chunk])
      this.serve(socket, conn)
    })
    socket.on('error', () => socket.destroy())
    socket.on('end', () => socket.end())
    socket.on('close', () => this.sockets.delete(socket))
  }

  private serve(socket: Socket, conn: Connection): void {
    while (!conn.stopped && conn.buffer.length > 0) {
      const req = frameRequest(conn.buffer.toString('latin1'))
      if (req === 'bad') {
        conn.stopped = true
        return
      }
      if (req === 'short') return
      const script = this.script
      if (script !== null && script.respondAt === 'head' && !conn.answeredHead) {
        conn.answeredHead = true
        this.play(socket, conn, script)
      }
      if (req.end === null) return // head only so far
      this.completeRequests++
      conn.buffer = conn.buffer.subarray(req.end)
      if (script === null) socket.write(req.head ? FIXED_HEAD_RESPONSE : FIXED_RESPONSE)
      else if (script.respondAt === 'request') this.play(socket, conn, script)
      conn.answeredHead = false
    }
  }

  /** Sends the script's bytes (pauses included), then closes, resets or keeps the connection. */
  private play(socket: Socket, conn: Connection, script: ResponseScript): void {
    if (script.then !== 'keep') conn.stopped = true
    void (async () => {
      for (const seg of script.bytes) {
        if (socket.destroyed) return
        if (seg.kind === 'bytes') socket.write(seg.bytes)
        else if (seg.kind === 'pause') await sleep(seg.ms)
        else if (seg.kind === 'drip') socket.write(seg.bytes)
      }
      if (script.then === 'close') socket.end()
      else if (script.then === 'reset') socket.resetAndDestroy()
    })()
  }
}

/** A request at the start of `text`: 'short' until its head is in; end null until its body is; 'bad' if unframeable. */
function frameRequest(text: string): { end: number | null; head: boolean } | 'short' | 'bad' {
  const headEnd = text.indexOf('\r\n\r\n')
  if (headEnd < 0) return 'short'
  const lines = text.slice(0, headEnd).split('\r\n')
  const head = lines[0].startsWith('HEAD ')
  let chunked = false
  let length = 0
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':')
    if (colon <= 0) return 'bad'
    const name = line.slice(0, colon).trim().toLowerCase()
    const value = line.slice(colon + 1).trim()
    if (name === 'transfer-encoding') chunked = value.toLowerCase().includes('chunked')
    if (name === 'content-length') {
      if (!/^\d+$/.test(value)) return 'bad'
      length = Number(value)
    }
  }
  const bodyStart = headEnd + 4
  if (!chunked) return { end: bodyStart + length <= text.length ? bodyStart + length : null, head }
  const end = chunkedEnd(text, bodyStart)
  return end === 'bad' ? 'bad' : { end, head }
}

function chunkedEnd(text: string, start: number): number | null | 'bad' {
  let pos = start
  for (;;) {
    const lineEnd = text.indexOf('\r\n', pos)
    if (lineEnd < 0) return null
    const size = parseInt(text.slice(pos, lineEnd).split(';')[0], 16)
    if (Number.isNaN(size)) return 'bad'
    pos = lineEnd + 2
    if (size === 0) {
      for (;;) {
        const end = text.indexOf('\r\n', pos)
        if (end < 0) return null
        if (end === pos) return end + 2
        pos = end + 2
      }
    }
    if (pos + size + 2 > text.length) return null
    pos += size + 2
  }
}
