import { createServer } from 'node:http'
import { TrackedServer } from '../../helpers/tracked-server.js'

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
  private listener: TrackedServer | null = null

  async start(): Promise<this> {
    this.listener = new TrackedServer(
      createServer((req, res) => {
        this.checks++
        this.lastMethod = req.method ?? ''
        this.lastPath = req.url ?? ''
        if (this.mode === 'hang') return
        res.statusCode = this.mode === 'fail' ? 500 : 200
        res.end(this.mode === 'degraded' ? 'status: degraded' : 'status: ok')
      }),
    )
    this.url = `http://127.0.0.1:${await this.listener.listen()}`
    return this
  }

  async stop(): Promise<void> {
    await this.listener?.close()
  }
}

/** A loopback URL nobody listens on: a port just bound and released. */
export async function closedPortUrl(): Promise<string> {
  const listener = new TrackedServer(createServer())
  const port = await listener.listen()
  await listener.close()
  return `http://127.0.0.1:${port}`
}
