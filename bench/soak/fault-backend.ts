import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import { listenOnLoopback } from '../lib/loopback-listen.js'

/**
 * What a soak backend does with the requests that arrive while it is in that behaviour:
 *   ok        serves (see FaultBackend for the paths)
 *   slow      serves after an extra delay (`slowMs`)
 *   error500  reads the request and answers 500 at once
 *   reset     destroys the connection as soon as the request head arrives, before any response byte
 *   hang      reads the request and never answers; when the hang ends its connections are cut
 *   refuse    not listening: connects are refused, like a crashed process; listens again on the same port after
 */
export type Behaviour = 'ok' | 'slow' | 'error500' | 'reset' | 'hang' | 'refuse'

/** The behaviours a GET may fail on at its first try (everything but ok and slow). */
export const FAILING: readonly Behaviour[] = ['error500', 'reset', 'hang', 'refuse']

export function isFailing(b: Behaviour): boolean {
  return b !== 'ok' && b !== 'slow'
}

/** The path Baton's active checks use (bench/scenarios' proxy config checks it). */
export const HEALTH_PATH = '/healthz'
/** Longer than Baton's upstream idle timeout (60 s), so Baton is the side that closes idle connections. */
const KEEP_ALIVE_MS = 65_000
/** Streamed response bodies go out in chunks of this size, waiting for 'drain' when the socket is full. */
const STREAM_CHUNK = Buffer.alloc(16 * 1024, 's')
/** Re-listen attempts after a refusal, ms apart (the port may be briefly held by a closing socket). */
const RELISTEN_RETRY_MS = 100

/**
 * A loopback backend for the soak whose behaviour the fault schedule switches while it runs. Unlike
 * test/helpers/scripted-backend.ts (one fixed answer whatever the path), it serves the soak's whole traffic
 * mix in every healthy behaviour, so streamed bodies cross Baton while faults come and go:
 *   GET  /small        200 "ok from NAME"
 *   GET  /stream/N     200, N bytes streamed with backpressure (content-length N)
 *   GET  /slow/MS      200 after MS ms
 *   POST /upload       reads the body, answers 200 {"bytes": n}
 *   GET  /healthz      the active check: 200 while ok or slow, 500 while error500; reset, hang, refuse as traffic
 * Every answer carries x-backend: NAME.
 *
 * A behaviour applies to requests arriving while it lasts: a response already under way when the backend
 * turns to refuse finishes first and then its connection closes (responses not yet started are cut). So a GET
 * can only be lost by the proxy, never by a backend dying in the middle of a body it had begun, which no proxy
 * can repair once bytes reached the client; the soak counts the former and must not be blurred by the latter.
 */
export class FaultBackend {
  behaviour: Behaviour = 'ok'
  /** Extra delay in behaviour 'slow', ms. */
  slowMs = 0
  /** Requests seen (health checks included), for the report. */
  requests = 0
  url = ''
  private port = 0
  private server: Server | null = null
  private readonly sockets = new Set<Socket>()
  /** Sockets whose current response has sent its headers: left to finish when the backend starts refusing. */
  private readonly answering = new Set<Socket>()
  /** Sockets holding a request of the current hang. */
  private readonly hung = new Set<Socket>()
  private relistenTimer: NodeJS.Timeout | null = null
  private stopped = false

  constructor(readonly name: string) {}

  /** Listens on a free loopback port. */
  async start(): Promise<this> {
    await this.listen()
    this.url = `http://127.0.0.1:${this.port}`
    return this
  }

  /** Switches behaviour; leaving 'hang' cuts the hung connections, entering or leaving 'refuse' stops or restarts listening. */
  set(behaviour: Behaviour, slowMs = 0): void {
    const before = this.behaviour
    this.behaviour = behaviour
    this.slowMs = slowMs
    if (before === 'hang' && behaviour !== 'hang') this.cutHung()
    if (behaviour === 'refuse' && before !== 'refuse') this.goDown()
    if (before === 'refuse' && behaviour !== 'refuse') this.comeBack()
  }

  /** Stops for good: not listening, every connection cut. */
  async stop(): Promise<void> {
    this.stopped = true
    if (this.relistenTimer !== null) clearTimeout(this.relistenTimer)
    const server = this.server
    this.server = null
    for (const s of this.sockets) s.destroy()
    if (server !== null) await new Promise<void>((resolve) => server.close(() => resolve()))
  }

  private listen(): Promise<void> {
    const server = createServer({ keepAliveTimeout: KEEP_ALIVE_MS }, (req, res) => this.serve(req, res))
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket)
      socket.on('close', () => {
        this.sockets.delete(socket)
        this.answering.delete(socket)
        this.hung.delete(socket)
      })
    })
    return listenOnLoopback(server, this.port).then((port) => {
      this.port = port
      this.server = server
    })
  }

  /** Like a crashed process, except that responses already under way finish (see the class comment). */
  private goDown(): void {
    this.server?.close()
    this.server = null
    for (const s of this.sockets) if (!this.answering.has(s)) s.destroy()
  }

  /** Listens again on the same port, so Baton's configured endpoint works again unchanged. */
  private comeBack(): void {
    if (this.stopped || this.server !== null || this.relistenTimer !== null || this.behaviour === 'refuse') return
    this.listen().catch(() => {
      this.relistenTimer = setTimeout(() => {
        this.relistenTimer = null
        this.comeBack()
      }, RELISTEN_RETRY_MS)
    })
  }

  private cutHung(): void {
    for (const s of this.hung) s.destroy()
    this.hung.clear()
  }

  private serve(req: IncomingMessage, res: ServerResponse): void {
    this.requests++
    res.setHeader('x-backend', this.name)
    const behaviour = this.behaviour
    if (behaviour === 'refuse' || behaviour === 'reset') {
      // refuse: arrived on a connection accepted just before the listener closed; act dead.
      req.socket.destroy()
      return
    }
    if (behaviour === 'hang') {
      req.resume()
      this.hung.add(req.socket)
      return
    }
    const [, verb = '', arg = ''] = (req.url ?? '/').split('?')[0].split('/')
    if (behaviour === 'error500') {
      req.resume()
      this.answer(req, res, () => res.writeHead(500).end(`error500 from ${this.name}`))
      return
    }
    const delayMs = (behaviour === 'slow' ? this.slowMs : 0) + (verb === 'slow' ? Number(arg) : 0)
    if (verb === 'upload') {
      let bytes = 0
      req.on('data', (chunk: Buffer) => (bytes += chunk.length))
      req.on('end', () => this.later(delayMs, req, res, () => sendJson(res, { bytes })))
      return
    }
    req.resume()
    if (verb === 'stream') this.later(delayMs, req, res, () => stream(res, Number(arg)))
    else this.later(delayMs, req, res, () => res.end(verb === 'healthz' ? 'healthy' : `ok from ${this.name}`))
  }

  private later(delayMs: number, req: IncomingMessage, res: ServerResponse, respond: () => void): void {
    if (delayMs <= 0) this.answer(req, res, respond)
    else setTimeout(() => this.answer(req, res, respond), delayMs)
  }

  /**
   * Starts the response unless the backend went down meanwhile (then the connection is cut before any byte).
   * While it is being written the socket is 'answering'; if the backend is refusing when it ends, the
   * connection closes then.
   */
  private answer(req: IncomingMessage, res: ServerResponse, respond: () => void): void {
    const socket = req.socket
    if (res.destroyed || socket.destroyed) return
    if (this.behaviour === 'refuse' && this.server === null) {
      socket.destroy()
      return
    }
    this.answering.add(socket)
    res.once('finish', () => {
      this.answering.delete(socket)
      if (this.server === null) socket.destroy()
    })
    respond()
  }
}

function sendJson(res: ServerResponse, value: unknown): void {
  const body = JSON.stringify(value)
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
  res.end(body)
}

/** `total` bytes in STREAM_CHUNK pieces, waiting for 'drain' whenever the socket is full. */
function stream(res: ServerResponse, total: number): void {
  let left = total
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(total) })
  const pump = (): void => {
    while (left > 0) {
      const n = Math.min(left, STREAM_CHUNK.length)
      left -= n
      if (!res.write(n === STREAM_CHUNK.length ? STREAM_CHUNK : STREAM_CHUNK.subarray(0, n))) {
        res.once('drain', pump)
        return
      }
    }
    res.end()
  }
  pump()
}
