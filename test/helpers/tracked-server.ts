import type { Server } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'

/**
 * An http.Server on 127.0.0.1 whose open connections are tracked, so close() cuts them at once and the port
 * refuses from then on (a plain server.close() waits for keep-alive connections). Shared by the test backends.
 */
export class TrackedServer {
  readonly sockets = new Set<Socket>()
  /** Connections that have closed so far. */
  closedSockets = 0
  private closed = false

  constructor(private readonly server: Server) {
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket)
      socket.on('close', () => {
        this.sockets.delete(socket)
        this.closedSockets++
      })
    })
  }

  /** Listens on `port` (0: a free one); resolves with the port bound. */
  async listen(port = 0): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject)
      this.server.listen(port, '127.0.0.1', () => {
        this.server.off('error', reject)
        resolve()
      })
    })
    return (this.server.address() as AddressInfo).port
  }

  /** Stops listening and cuts every connection; later calls do nothing. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    for (const s of this.sockets) s.destroy()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }
}
