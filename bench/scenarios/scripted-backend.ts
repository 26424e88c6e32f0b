import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import { performance } from 'node:perf_hooks'
import type { Rng } from '../../src/util/rng.js'
import { HEALTH_PATH, type BackendScript, type Phase } from './backend-script.js'
import { lognormalMs } from './service-time.js'
import { listenOnLoopback } from '../lib/loopback-listen.js'

/** How often the listening state follows the script, ms: fine against phases of seconds. */
const SCRIPT_POLL_MS = 20
/** Longer than the proxy pool's idle timeout, so the proxy is the side that closes idle connections. */
const KEEP_ALIVE_MS = 65_000

/**
 * A loopback HTTP backend that does what its script says at each instant: serves with a lognormal
 * service time, at most `capacity` requests at once (the rest wait FIFO); fails a fraction fast with 500;
 * hangs (accepts, never answers); or dies: stops listening and cuts every connection, then re-listens
 * on the same port when the script brings it back. HEALTH_PATH follows the same state (backend-script.ts).
 */
export class ScriptedBackend {
  private server: Server | null = null
  private readonly sockets = new Set<Socket>()
  private readonly waiting: ServerResponse[] = []
  private busy = 0
  private port = 0
  /** performance.now() when the measured load began; null before, when the script is held at 0. */
  private startedAt: number | null = null
  private poller: NodeJS.Timeout | null = null
  private relistening = false

  constructor(
    private readonly script: BackendScript,
    private readonly rng: Rng,
    /** Reference-timeline ms per real ms (timeline.ts). */
    private readonly timescale: number,
  ) {}

  /** Listens on a free loopback port; returns the backend's origin. */
  async listen(): Promise<string> {
    await this.open()
    return `http://127.0.0.1:${this.port}`
  }

  /** Time 0 of the script: the measured load begins now. */
  start(): void {
    this.startedAt = performance.now()
    this.poller = setInterval(() => this.followScript(), SCRIPT_POLL_MS)
  }

  close(): void {
    if (this.poller !== null) clearInterval(this.poller)
    this.goDown()
  }

  private phaseNow(): Phase {
    const elapsed = this.startedAt === null ? 0 : (performance.now() - this.startedAt) * this.timescale
    return this.script.phaseAt(elapsed)
  }

  /** Dies or comes back when the script says so. */
  private followScript(): void {
    const refusing = this.phaseNow().mode === 'refuse'
    if (refusing && this.server !== null) this.goDown()
    else if (!refusing && this.server === null && !this.relistening) this.comeBack()
  }

  /** Like a crashed process: the port refuses and every open connection is cut. */
  private goDown(): void {
    this.server?.close()
    this.server = null
    for (const s of this.sockets) s.destroy()
  }

  private comeBack(): void {
    this.relistening = true
    // On failure (a client socket took the port meanwhile) the next poll tries again.
    this.open()
      .catch((err: Error) => console.error(`backend ${this.script.name}: re-listen on ${this.port} failed, retrying: ${err.message}`))
      .finally(() => (this.relistening = false))
  }

  private open(): Promise<void> {
    const server = createServer((req, res) => this.handle(req, res))
    server.keepAliveTimeout = KEEP_ALIVE_MS
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket)
      socket.on('close', () => this.sockets.delete(socket))
    })
    return listenOnLoopback(server, this.port).then((port) => {
      this.port = port
      this.server = server
    })
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    req.resume()
    res.setHeader('x-backend', this.script.name)
    const phase = this.phaseNow()
    if (phase.mode === 'hang') return // accepted and never answered: the caller's timeout ends it
    if (phase.mode === 'refuse') {
      req.socket.destroy() // arrived between two polls of a death: act dead
      return
    }
    if (req.url === HEALTH_PATH) {
      res.end('ok') // alive: the scripted 500s and the service time concern requests, not liveness
      return
    }
    if (phase.errorRate > 0 && this.rng.next() < phase.errorRate) {
      res.writeHead(500).end('scripted failure')
      return
    }
    this.waiting.push(res)
    this.serveWaiting()
  }

  /** Starts service for waiting requests, oldest first, while a slot is free. */
  private serveWaiting(): void {
    while (this.busy < this.script.capacity && this.waiting.length > 0) {
      const res = this.waiting.shift()!
      if (res.destroyed) continue // the caller gave up while it waited
      this.busy++
      setTimeout(this.finish, lognormalMs(this.phaseNow().medianMs, this.rng), res)
    }
  }

  /** The slot is held for the whole service time even if the caller left: the work was under way. */
  private readonly finish = (res: ServerResponse): void => {
    this.busy--
    if (!res.destroyed) res.end('ok')
    this.serveWaiting()
  }
}
