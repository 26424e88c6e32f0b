import { createServer, type Server } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'

/**
 * A plain HTTP backend on one loopback address (127.0.0.2, ::1…) answering 200 "ok from ADDRESS" with
 * x-backend: ADDRESS: the targets of DNS discovery tests, where every address of a name shares one port.
 */
export class AddressBackend {
  requests = 0
  private readonly sockets = new Set<Socket>()
  private readonly server: Server

  constructor(readonly address: string) {
    this.server = createServer((req, res) => {
      this.requests++
      req.resume()
      res.setHeader('x-backend', address)
      res.end(`ok from ${address}`)
    })
    this.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket)
      socket.on('close', () => this.sockets.delete(socket))
    })
  }

  listen(port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject)
      this.server.listen(port, this.address, () => {
        this.server.off('error', reject)
        resolve((this.server.address() as AddressInfo).port)
      })
    })
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }
}

/** One backend per address, all on the same free port (tried again on another port if one is taken). */
export async function startOnOnePort(addresses: readonly string[]): Promise<{ port: number; backends: AddressBackend[] }> {
  for (let attempt = 0; ; attempt++) {
    const backends = addresses.map((a) => new AddressBackend(a))
    try {
      const port = await backends[0].listen(0)
      for (const b of backends.slice(1)) await b.listen(port)
      return { port, backends }
    } catch (err) {
      await Promise.all(backends.map((b) => b.stop().catch(() => undefined)))
      if (attempt >= 5) throw err
    }
  }
}
