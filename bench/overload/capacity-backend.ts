/**
 * Child-process entry: `ports` loopback backends with a fixed capacity each, as an overloaded service behaves:
 * at most `capacity` requests in service at once, each taking `serviceMs`; the rest wait in an unbounded FIFO
 * queue. A request whose client left is still served when its turn comes (a real backend rarely notices), so work
 * spent on abandoned requests is lost capacity: that is how goodput collapses without protection.
 * argv: ports capacity serviceMs. Path /hold keeps its slot for 60 s (the shed-cost measurement uses it).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { listenOnLoopback } from '../lib/loopback-listen.js'
import { reportReady } from '../lib/ipc.js'

class CapacityBackend {
  private active = 0
  private readonly waiting: ServerResponse[] = []

  constructor(
    private readonly capacity: number,
    private readonly serviceMs: number,
  ) {}

  readonly handle = (req: IncomingMessage, res: ServerResponse): void => {
    req.resume()
    if (req.url === '/hold') {
      setTimeout(() => res.end('held'), 60_000).unref()
      return
    }
    if (this.active < this.capacity) this.serve(res)
    else this.waiting.push(res)
  }

  private serve(res: ServerResponse): void {
    this.active++
    setTimeout(() => {
      if (!res.destroyed) res.end('ok')
      this.active--
      const next = this.waiting.shift()
      if (next !== undefined) this.serve(next)
    }, this.serviceMs)
  }
}

async function main(): Promise<void> {
  const [ports, capacity, serviceMs] = process.argv.slice(2).map(Number)
  const urls: string[] = []
  for (let i = 0; i < ports; i++) {
    const backend = new CapacityBackend(capacity, serviceMs)
    const server = createServer({ keepAliveTimeout: 60_000 }, backend.handle)
    urls.push(`http://127.0.0.1:${await listenOnLoopback(server, 0)}`)
  }
  reportReady(urls)
}

await main()
