import type { Socket } from 'node:net'
import type { Duplex } from 'node:stream'

/**
 * After one side has closed cleanly (its FIN came and its own writes went out), how long the other side may take
 * to finish sending and close before it is cut, ms: a half-close ends the tunnel, it does not hold it open.
 */
const LINGER_MS = 10_000

/**
 * The bytes of an upgraded connection (WebSocket after the 101), both ways, until either side closes. Each
 * direction is a pipe, so a slow reader stops the other side's socket (backpressure); nothing is parsed, so
 * whatever the two ends say passes as it is. A side that ends cleanly (FIN) has its end passed on as a half-close:
 * the other side may finish its last frames, within LINGER_MS. A side that fails or is cut (a reset, a backend
 * dying) has the other cut at once, so a client sees its backend go at the moment it goes. `onClose` is called once,
 * when both sockets are closed.
 */
export class Tunnel {
  private clientClosed = false
  private backendClosed = false
  private linger: NodeJS.Timeout | null = null
  private finished = false

  constructor(
    private readonly client: Duplex,
    private readonly backend: Duplex,
    private readonly onClose: () => void,
  ) {}

  /** Starts both pipes; `clientHead` are bytes the client sent after its request head, held until now. */
  open(clientHead: Buffer): void {
    const client = this.client
    const backend = this.backend
    keepQuiet(client)
    keepQuiet(backend)
    backend.on('error', ignore)
    client.on('error', ignore)
    client.on('close', () => this.sideClosed(client, backend, 'client'))
    backend.on('close', () => this.sideClosed(backend, client, 'backend'))
    if (clientHead.length > 0) backend.write(clientHead)
    client.pipe(backend)
    backend.pipe(client)
  }

  /** Cuts both sides now (shutdown, or a side gone); onClose follows once both are closed. */
  destroy(): void {
    this.client.destroy()
    this.backend.destroy()
  }

  private sideClosed(side: Duplex, other: Duplex, which: 'client' | 'backend'): void {
    if (which === 'client') this.clientClosed = true
    else this.backendClosed = true
    if (this.clientClosed && this.backendClosed) return this.finish()
    // A clean close (its end read, its writes flushed): the pipe has ended the other side's writes, which may still
    // be carrying the last bytes; give it LINGER_MS. Anything else (reset, error, destroyed) cuts the other now.
    if (side.readableEnded && !side.errored) {
      this.linger ??= setTimeout(destroyStream, LINGER_MS, other)
      return
    }
    other.destroy()
  }

  private finish(): void {
    if (this.finished) return
    this.finished = true
    if (this.linger !== null) clearTimeout(this.linger)
    this.linger = null
    this.onClose()
  }
}

/** No socket timeout and no Nagle delay: a tunnel is quiet for as long as its two ends are, and frames are small. */
function keepQuiet(stream: Duplex): void {
  const socket = stream as Partial<Socket>
  if (typeof socket.setTimeout === 'function') socket.setTimeout(0)
  if (typeof socket.setNoDelay === 'function') socket.setNoDelay(true)
}

function destroyStream(stream: Duplex): void {
  stream.destroy()
}

/** Errors end in 'close', which decides what happens to the other side. */
function ignore(): void {}
