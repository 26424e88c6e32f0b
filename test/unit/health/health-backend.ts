import { createServer, type Server } from 'node:http'
import type { Socket } from 'node:net'

/** How the backend answers its health checks. */
export type HealthMode = 'ok' | 'fail' | 'hang' | 'degraded'

/**
 * A real loopback backend for active-check tests: answers every request per `mode` (ok: 200 "status: ok",
 * fail: 500, hang: never, degraded: 200 "status: degraded") and counts them.
 */
export class HealthBackend {
  mode: HealthMode = 'ok'
  checks = 0
  lastMethod = ''
  lastPath = ''
  url = ''
  private readonly sockets = new Set<Socket>()
  private server: Server | null = null

  async start(): Promise<this> {
    const server = createServer((req, res) => {
      this.checks++
      this.lastMethod = req.method ?? ''
      this.lastPath = req.url ?? ''
      if (this.mode === 'hang') return
      res.statusCode = this.mode === 'fail' ? 500 : 200
      res.end(this.mode === 'degraded' ? 'status: degraded' : 'status: ok')
    })
    server.on('connection', (s: Socket) => {
      this.sockets.add(s)
      s.on('close', () => this.sockets.delete(s))
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    this.url = `http://127.0.0.1:${portOf(server)}`
    this.server = server
    return this
  }

  async stop(): Promise<void> {
    const server = this.server
    if (server === null) return
    this.server = null
    for (const s of this.sockets) s.destroy()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }
}

/** A loopback URL nobody listens on: a port just bound and released. */
export async function closedPortUrl(): Promise<string> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = portOf(server)
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return `http://127.0.0.1:${port}`
}

function portOf(server: Server): number {
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('not listening on TCP')
  return address.port
}
