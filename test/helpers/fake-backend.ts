import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import { TrackedServer } from './tracked-server.js'

const NO_SOCKETS: ReadonlySet<Socket> = new Set()

/**
 * A real HTTP backend on 127.0.0.1:0 whose behaviour the request path chooses:
 *   /echo            200 JSON {name, method, url, headers (raw pairs), bodyBytes}
 *   /stream-echo     streams the request body back as it arrives
 *   /status/N        answers status N
 *   /slow/MS         answers 200 after MS milliseconds
 *   /hang            never answers
 *   /reset           destroys the connection without answering
 *   /truncate        promises 1000 bytes, sends 100, then dies
 *   /download/N      streams N bytes with backpressure
 * Any other path answers 200 "ok from NAME" after the backend's own delay. Every answer carries x-backend: NAME.
 */
export class FakeBackend {
  requests = 0
  private listener: TrackedServer | null = null
  url = ''

  constructor(
    readonly name: string,
    /** Service time of the default path, ms. */
    readonly delayMs = 0,
  ) {}

  /** Open connections. */
  get sockets(): ReadonlySet<Socket> {
    return this.listener?.sockets ?? NO_SOCKETS
  }

  /** Connections that have closed so far. */
  get closedSockets(): number {
    return this.listener?.closedSockets ?? 0
  }

  async start(port = 0): Promise<this> {
    const server = createServer((req, res) => this.serve(req, res))
    // A peer that closed its side is gone: close ours too, even mid-answer, so `sockets` counts live peers.
    server.on('connection', (socket: Socket) => socket.on('end', () => socket.destroy()))
    this.listener = new TrackedServer(server)
    this.url = `http://127.0.0.1:${await this.listener.listen(port)}`
    return this
  }

  /** Stops listening and cuts every connection: the port now refuses. */
  async stop(): Promise<void> {
    await this.listener?.close()
  }

  private serve(req: IncomingMessage, res: ServerResponse): void {
    this.requests++
    res.setHeader('x-backend', this.name)
    const [, verb = '', arg = ''] = (req.url ?? '/').split('?')[0].split('/')
    switch (verb) {
      case 'echo':
        return echo(this.name, req, res)
      case 'stream-echo':
        res.writeHead(200, { 'content-type': 'application/octet-stream' })
        req.pipe(res)
        return
      case 'status':
        req.resume()
        res.writeHead(Number(arg)).end(`status ${arg}`)
        return
      case 'slow':
        req.resume()
        setTimeout(() => res.end(`slow ${arg}`), Number(arg))
        return
      case 'hang':
        req.resume()
        return
      case 'reset':
        req.socket.destroy()
        return
      case 'truncate':
        res.writeHead(200, { 'content-length': '1000' })
        res.write(Buffer.alloc(100, 120), () => req.socket.destroy())
        return
      case 'download':
        return download(Number(arg), res)
      default:
        req.resume()
        if (this.delayMs === 0) res.end(`ok from ${this.name}`)
        else setTimeout(() => res.end(`ok from ${this.name}`), this.delayMs)
    }
  }
}

function echo(name: string, req: IncomingMessage, res: ServerResponse): void {
  let bodyBytes = 0
  req.on('data', (chunk: Buffer) => (bodyBytes += chunk.length))
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ name, method: req.method, url: req.url, headers: req.rawHeaders, bodyBytes }))
  })
}

/** Streams `total` bytes in 64 KiB chunks, waiting for 'drain' whenever the socket is full. */
function download(total: number, res: ServerResponse): void {
  const chunk = Buffer.alloc(64 * 1024, 97)
  let left = total
  res.writeHead(200, { 'content-length': String(total) })
  const pump = (): void => {
    while (left > 0) {
      const n = Math.min(left, chunk.length)
      left -= n
      if (!res.write(n === chunk.length ? chunk : chunk.subarray(0, n))) {
        res.once('drain', pump)
        return
      }
    }
    res.end()
  }
  pump()
}

/** A backend by name, or by name and service time of its default path. */
export type BackendSpec = string | { name: string; delayMs: number }

export async function startBackends(...specs: BackendSpec[]): Promise<FakeBackend[]> {
  return Promise.all(specs.map((s) => (typeof s === 'string' ? new FakeBackend(s) : new FakeBackend(s.name, s.delayMs)).start()))
}
