import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { Duplex } from 'node:stream'
import type { ListenerConfig } from '../config/types.js'
import type { Logger } from '../util/logger.js'
import { BatonResponse } from './baton-response.js'
import type { RequestHandler } from './request-handler.js'

/** How often Node checks requests against headersTimeout/requestTimeout, ms (its default of 30 s is too coarse). */
const TIMEOUT_CHECK_INTERVAL_MS = 1_000
/** How often a draining server closes connections that have gone idle, ms. */
const DRAIN_POLL_MS = 50

/** One listening socket of the proxy. */
export class ProxyServer {
  readonly server: Server<typeof IncomingMessage, typeof BatonResponse>

  constructor(
    readonly config: ListenerConfig,
    handler: RequestHandler,
    private readonly logger: Logger,
  ) {
    this.server = createServer(
      {
        ServerResponse: BatonResponse,
        maxHeaderSize: config.maxHeaderBytes,
        headersTimeout: config.headersTimeoutMs,
        requestTimeout: config.requestTimeoutMs,
        keepAliveTimeout: config.keepAliveTimeoutMs,
        connectionsCheckingInterval: TIMEOUT_CHECK_INTERVAL_MS,
      },
      handler.handle,
    )
    this.server.on('clientError', onClientError)
    this.server.on('upgrade', onUpgrade)
  }

  /** Binds the socket; resolves with the URL actually bound (port 0 becomes a real port). */
  listen(): Promise<string> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject)
      this.server.listen(this.config.port, this.config.address, () => {
        this.server.off('error', reject)
        const address = this.server.address()
        const port = typeof address === 'object' && address !== null ? address.port : this.config.port
        resolve(`http://${formatHost(this.config.address)}:${port}`)
      })
    })
  }

  /**
   * Graceful drain: stop accepting, let in-flight requests finish while closing each connection as soon as
   * it goes idle, and after `timeoutMs` cut whatever is left. Resolves when every connection is gone.
   */
  drain(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const poll = setInterval(() => this.server.closeIdleConnections(), DRAIN_POLL_MS)
      const deadline = setTimeout(() => {
        this.logger.warn({ listener: this.config.name }, 'drain timeout: closing remaining connections')
        this.server.closeAllConnections()
      }, timeoutMs)
      this.server.close(() => {
        clearInterval(poll)
        clearTimeout(deadline)
        resolve()
      })
      this.server.closeIdleConnections()
    })
  }
}

/**
 * Malformed requests get the right 4xx before the socket closes: 431 for an oversize head, 408 for a
 * request that took too long, 400 for anything else the parser rejected.
 */
function onClientError(err: Error & { code?: string }, socket: Duplex): void {
  if (!socket.writable) {
    socket.destroy()
    return
  }
  const status = clientErrorStatus(err.code)
  socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`)
}

function clientErrorStatus(code: string | undefined): string {
  if (code === 'HPE_HEADER_OVERFLOW') return '431 Request Header Fields Too Large'
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return '408 Request Timeout'
  return '400 Bad Request'
}

/** Protocol upgrades (WebSocket) are not proxied yet: say so instead of dropping the socket silently. */
function onUpgrade(_req: IncomingMessage, socket: Duplex): void {
  socket.end('HTTP/1.1 501 Not Implemented\r\nConnection: close\r\nContent-Length: 0\r\n\r\n')
}

function formatHost(address: string): string {
  return address.includes(':') ? `[${address}]` : address
}
