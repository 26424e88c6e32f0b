import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { TrackedServer } from './tracked-server.js'

/**
 * How a ScriptedBackend answers traffic (every path but its health path), whatever the path:
 *   ok                200 "ok from NAME" after `delayMs`
 *   status            `status` after `delayMs`
 *   hang              reads the request, never answers
 *   reset             destroys the connection as soon as the request head arrives, before any response byte
 *   reset-after-body  reads the whole request body, then destroys the connection without answering
 *   truncate          promises 1000 bytes, sends 100, then destroys the connection
 */
export type TrafficMode = 'ok' | 'status' | 'hang' | 'reset' | 'reset-after-body' | 'truncate'

/**
 * A real HTTP backend on 127.0.0.1 whose behaviour a test switches while it runs, unlike FakeBackend whose
 * behaviour the path chooses: so two endpoints of one upstream can answer the same request differently
 * (one resets, the other answers), and an endpoint's health path can fail and then pass again.
 * Traffic and health checks are counted apart, so "no traffic" can be asserted while checks go on.
 * Every answer carries x-backend: NAME.
 */
export class ScriptedBackend {
  mode: TrafficMode = 'ok'
  /** Status of mode 'status'. */
  status = 500
  /** Retry-After sent with mode 'status' answers; null: none. */
  retryAfter: string | null = null
  /** Delay before answering in modes 'ok' and 'status', ms. */
  delayMs = 0
  /** The health path answers this status (200 passes a default active check)… */
  healthStatus = 200
  /** …after this many ms. */
  healthDelayMs = 0
  /** Requests to any path but the health path, counted when their head arrives. */
  traffic = 0
  /** Requests to the health path. */
  checks = 0
  /** Request body bytes received by mode 'reset-after-body' before it cut the connection. */
  bodyBytesBeforeReset = 0
  url = ''
  port = 0
  private listener: TrackedServer | null = null

  constructor(
    readonly name: string,
    readonly healthPath = '/healthz',
  ) {}

  /** Listens on `port` (0: a free one). Restarting on the old port after stop() brings a refused endpoint back. */
  async start(port = this.port): Promise<this> {
    this.listener = new TrackedServer(createServer((req, res) => this.serve(req, res)))
    this.port = await this.listener.listen(port)
    this.url = `http://127.0.0.1:${this.port}`
    return this
  }

  /** Stops listening and cuts every connection: the port refuses from now on. */
  async stop(): Promise<void> {
    await this.listener?.close()
  }

  private serve(req: IncomingMessage, res: ServerResponse): void {
    res.setHeader('x-backend', this.name)
    if ((req.url ?? '/').split('?')[0] === this.healthPath) {
      this.checks++
      req.resume()
      const status = this.healthStatus
      const answer = (): void => void res.writeHead(status).end(`health ${status} from ${this.name}`)
      if (this.healthDelayMs > 0) setTimeout(answer, this.healthDelayMs)
      else answer()
      return
    }
    this.traffic++
    switch (this.mode) {
      case 'ok':
        return this.later(req, res, 200, `ok from ${this.name}`)
      case 'status':
        if (this.retryAfter !== null) res.setHeader('retry-after', this.retryAfter)
        return this.later(req, res, this.status, `status ${this.status} from ${this.name}`)
      case 'hang':
        req.resume()
        return
      case 'reset':
        req.socket.destroy()
        return
      case 'reset-after-body':
        req.on('data', (chunk: Buffer) => (this.bodyBytesBeforeReset += chunk.length))
        req.on('end', () => req.socket.destroy())
        return
      case 'truncate':
        req.resume()
        res.writeHead(200, { 'content-length': '1000' })
        res.write(Buffer.alloc(100, 120), () => req.socket.destroy())
        return
    }
  }

  private later(req: IncomingMessage, res: ServerResponse, status: number, body: string): void {
    req.resume()
    if (this.delayMs === 0) res.writeHead(status).end(body)
    else setTimeout(() => res.writeHead(status).end(body), this.delayMs)
  }
}

/** Starts backends named `names`, each on a free port. */
export async function startScripted(...names: string[]): Promise<ScriptedBackend[]> {
  return Promise.all(names.map((n) => new ScriptedBackend(n).start()))
}
