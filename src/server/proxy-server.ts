import { Server as NetServer } from 'node:net'
import { createServer, type IncomingMessage, type Server, type ServerOptions } from 'node:http'
import { createServer as createTlsServer } from 'node:https'
import type { Server as TlsServer } from 'node:tls'
import type { Duplex } from 'node:stream'
import type { ListenerConfig } from '../config/types.js'
import type { Logger } from '../util/logger.js'
import { REJECTIONS } from '../forward/request-rejections.js'
import { BatonResponse, CLOSING } from '../forward/baton-response.js'
import type { RequestHandler } from './request-handler.js'
import { BatonRequest } from './baton-request.js'
import { ListenerTls } from './listener-tls.js'
import { UpgradeHandler } from './upgrade-handler.js'

/** How often Node checks requests against headersTimeout/requestTimeout, ms (its default of 30 s is too coarse). */
const TIMEOUT_CHECK_INTERVAL_MS = 1_000
/**
 * How long a draining server leaves a connection that has no request in flight before closing it, ms. A
 * connection accepted a moment before the listener closed has not sent its request yet (its client is about
 * to), which matters most in a zero-downtime restart, where connections keep arriving at the old process
 * until it stops accepting; its response then says Connection: close.
 */
const FRESH_CONNECTION_GRACE_MS = 250
/** How often a draining server closes connections that have gone idle, ms. */
const DRAIN_POLL_MS = 50

/** One listening socket of the proxy. */
export class ProxyServer {
  readonly server: Server<typeof IncomingMessage, typeof BatonResponse>

  private handler: RequestHandler
  /** WebSocket upgrades and their tunnels. */
  private readonly upgrades = new UpgradeHandler()
  /** TLS termination; null on a plain HTTP listener. */
  private readonly tls: ListenerTls | null
  /** http(s)://address:port once listening (port 0 becomes the real port); '' before. */
  url = ''

  constructor(
    readonly config: ListenerConfig,
    handler: RequestHandler,
    private readonly logger: Logger,
  ) {
    this.handler = handler
    const options: ServerOptions<typeof IncomingMessage, typeof BatonResponse> = {
      IncomingMessage: BatonRequest,
      ServerResponse: BatonResponse,
      maxHeaderSize: config.maxHeaderBytes,
      headersTimeout: config.headersTimeoutMs,
      requestTimeout: config.requestTimeoutMs,
      keepAliveTimeout: config.keepAliveTimeoutMs,
      connectionsCheckingInterval: TIMEOUT_CHECK_INTERVAL_MS,
    }
    // A TLS listener is the same server behind node:https; its certificates can be replaced while it runs (updateTls).
    const tls = config.tls
    this.tls = tls === null ? null : new ListenerTls(tls)
    if (tls === null || this.tls === null) {
      this.server = createServer(options, handler.handle)
    } else {
      this.server = createTlsServer({ ...options, ...this.tls.serverOptions(tls) }, handler.handle)
      this.tls.attach(this.server as unknown as TlsServer)
    }
    // One field over the limit is kept, so the handler sees the overflow and answers 431; Node alone would drop
    // the fields past its count silently (Content-Length and Transfer-Encoding included).
    this.server.maxHeadersCount = config.maxHeadersCount + 1
    this.server.on('clientError', (err: ParserError, socket: Duplex) => onClientError(err, socket, config.maxHeaderBytes))
    this.server.on('connect', onConnect)
    this.server.on('checkContinue', handler.handleContinue)
    // WebSocket handshakes only (BatonRequest): every other Upgrade (h2c, RFC 9113 §3.1 deprecates it) is served as
    // plain HTTP/1.1, with Upgrade and Connection stripped as hop-by-hop, as nginx does. The handler serving the
    // listener now screens it, so a reload applies to upgrades as to requests.
    this.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.upgrades.handle(this.handler, req, socket, head))
  }

  /**
   * A config reload: new requests go to `handler` (its routes, rules and upstreams); requests in flight finish
   * on the old one. `config` must listen where this server does; its timeouts apply from now on.
   */
  useHandler(handler: RequestHandler, config: ListenerConfig): void {
    this.server.off('request', this.handler.handle).on('request', handler.handle)
    this.server.off('checkContinue', this.handler.handleContinue).on('checkContinue', handler.handleContinue)
    this.handler = handler
    this.server.headersTimeout = config.headersTimeoutMs
    this.server.requestTimeout = config.requestTimeoutMs
    this.server.keepAliveTimeout = config.keepAliveTimeoutMs
    this.server.maxHeadersCount = config.maxHeadersCount + 1
  }

  /** WebSocket upgrades in progress on this listener: handshakes waiting for a backend and open tunnels. */
  get openTunnels(): number {
    return this.upgrades.tunnels.size
  }

  /**
   * Shutdown of the tunnels: new WebSocket upgrades get 503 from now on, handshakes still waiting for a backend
   * get 503 at once, open tunnels may go on for `graceMs` (shutdown.tunnelGrace) and are then closed. Resolves
   * when none is left. Node's server.close() waits for upgraded sockets too, so drain() ends only after this.
   */
  closeTunnels(graceMs: number): Promise<void> {
    return this.upgrades.tunnels.close(graceMs)
  }

  /**
   * New certificates for a TLS listener (a reload that read renewed files, `config` being the listener's new
   * config): handshakes from now on use them, connections already open keep theirs. Returns false, changing
   * nothing, when the listener's TLS cannot change in place (plain HTTP to TLS or back needs a restart).
   */
  updateTls(config: ListenerConfig): boolean {
    if (this.tls === null || config.tls === null) return this.tls === null && config.tls === null
    this.tls.update(this.server as unknown as TlsServer, config.tls)
    return true
  }

  /**
   * Binds the socket, or takes over `inherited`, the descriptor of a listening socket handed over by the
   * process this one replaces (a zero-downtime restart: no connection is refused in between); resolves with
   * the URL actually bound (port 0 becomes a real port).
   */
  listen(inherited: { readonly fd: number } | null = null): Promise<string> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject)
      const bound = (): void => {
        this.server.off('error', reject)
        const address = this.server.address()
        const port = typeof address === 'object' && address !== null ? address.port : this.config.port
        this.url = `${this.config.tls === null ? 'http' : 'https'}://${formatHost(this.config.address)}:${port}`
        resolve(this.url)
      }
      if (inherited === null) this.server.listen(this.config.port, this.config.address, bound)
      else this.server.listen(inherited, bound)
    })
  }

  /**
   * Graceful drain: stop accepting, let in-flight requests finish while closing each connection as soon as
   * it goes idle, and after `timeoutMs` cut whatever is left. Resolves when every connection is gone.
   */
  drain(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      let poll: NodeJS.Timeout | null = null
      // Idle connections close only after a moment: one accepted just before is idle until its request arrives.
      const grace = setTimeout(() => {
        this.server.closeIdleConnections()
        poll = setInterval(() => this.server.closeIdleConnections(), DRAIN_POLL_MS)
      }, FRESH_CONNECTION_GRACE_MS)
      const deadline = setTimeout(() => {
        this.logger.warn({ listener: this.config.name }, 'drain timeout: closing remaining connections')
        this.server.closeAllConnections()
        void this.closeTunnels(0) // upgraded sockets are off Node's connection list, yet the server waits for them
      }, timeoutMs)
      stopAccepting(this.server, () => {
        clearTimeout(grace)
        if (poll !== null) clearInterval(poll)
        clearTimeout(deadline)
        resolve()
      })
    })
  }
}

/**
 * Stops accepting; `closed` runs once every connection has ended. Not http.Server.close(), which also closes
 * every idle connection at once, fresh ones included (see FRESH_CONNECTION_GRACE_MS); its other step, stopping
 * the timer that checks request timeouts, is done here when the last connection is gone.
 */
function stopAccepting(server: NetServer, closed: () => void): void {
  NetServer.prototype.close.call(server, () => {
    const checking = Object.getOwnPropertySymbols(server).find((s) => s.description === 'http.server.connectionsCheckingInterval')
    if (checking !== undefined) clearInterval((server as unknown as Record<symbol, NodeJS.Timeout>)[checking])
    closed()
  })
}

/**
 * What the parser refused gets the right 4xx before the socket closes: 431 for an oversize head (414 when the
 * request line alone is over it), 408 for a head or request that took too long, 505 for an unknown HTTP
 * version, 400 for anything else.
 *
 * A response still owed on the socket comes first. If the error is in the body of the request being
 * answered (a bad chunk), that body is failed, so the upstream request is aborted and the backend never sees
 * a complete request; the exchange answers 400 if it has not answered yet, and the connection closes after it.
 * If the error is in a later pipelined request, the responses in flight finish first (their requests ran), then
 * the 4xx and the close (Node's own handler would write its 400 over them, or drop them).
 */
function onClientError(err: ParserError, socket: Duplex, maxHeaderBytes: number): void {
  const state = socket as SocketWithResponse
  // The parser reports the same broken stream again on every chunk; and a connection already closing with
  // its answer (a refusal) says nothing more: Node ends it once that answer is out.
  if (state[REFUSING] === true || state[CLOSING] === true) return
  state[REFUSING] = true
  const pending = state._httpMessage
  if (pending !== null && pending !== undefined && !pending.writableFinished) {
    if (!pending.req.complete) {
      pending.shouldKeepAlive = false
      pending.once('close', closeSocket)
      // Not req.destroy(): that destroys the socket too, and the client would never read the 400.
      if (pending.feeder !== null) pending.feeder.onClientBodyBroken()
      else socket.destroy() // a small body still being read whole: nothing went upstream
      return
    }
    pending.once('finish', answerAfterPending.bind(null, socket, clientErrorLine(err, maxHeaderBytes)))
    return
  }
  answer(socket, clientErrorLine(err, maxHeaderBytes))
}

/** Node's own fields on a server socket: the response it is writing, if any. */
interface SocketWithResponse extends Duplex {
  _httpMessage?: BatonResponse | null
  [REFUSING]?: boolean
  [CLOSING]?: boolean
}

const REFUSING = Symbol('baton.refusing')

function answerAfterPending(socket: Duplex, statusLine: string): void {
  // Node hands the socket to the next pipelined response on 'finish'; wait for each in turn.
  setImmediate(() => {
    const next = (socket as SocketWithResponse)._httpMessage
    if (next !== null && next !== undefined && !next.writableFinished) {
      next.once('finish', answerAfterPending.bind(null, socket, statusLine))
      return
    }
    answer(socket, statusLine)
  })
}

function answer(socket: Duplex, statusLine: string): void {
  if (!socket.writable) {
    socket.destroy()
    return
  }
  socket.end(`HTTP/1.1 ${statusLine}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`)
}

function closeSocket(this: BatonResponse): void {
  this.socket?.destroy()
}

/** What Node's parser hands to 'clientError': its code, and the chunk it failed on. */
type ParserError = Error & { code?: string; rawPacket?: Buffer }

function clientErrorLine(err: ParserError, maxHeaderBytes: number): string {
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW':
      return requestLineOverflows(err.rawPacket, maxHeaderBytes) ? '414 URI Too Long' : '431 Request Header Fields Too Large'
    case 'ERR_HTTP_REQUEST_TIMEOUT':
    case 'ERR_HTTP_HEADERS_TIMEOUT':
      return '408 Request Timeout'
    case 'HPE_INVALID_VERSION':
      return versionOutOfRange(err.rawPacket) ? '505 HTTP Version Not Supported' : '400 Bad Request'
    default:
      return '400 Bad Request'
  }
}

/**
 * Whether the request line alone is over the head limit: its first line feed is past the limit, or absent
 * from the chunk the parser failed on (a long URI arriving in several chunks). Node reports one overflow for
 * the line and the fields together; a chunk that starts mid-head can misjudge, only between 414 and 431.
 */
function requestLineOverflows(packet: Buffer | undefined, maxHeaderBytes: number): boolean {
  if (packet === undefined) return false
  const lineEnd = packet.indexOf(10)
  return lineEnd < 0 || lineEnd > maxHeaderBytes
}

/** A well-formed request line naming a version other than 1.x ("HTTP/9.9"); llhttp says INVALID_VERSION for malformed lines too. */
const REQUEST_LINE_VERSION = /^[!-~]+ [!-~]+ HTTP\/(\d)\.\d\r?\n/

function versionOutOfRange(packet: Buffer | undefined): boolean {
  if (packet === undefined) return false
  const match = REQUEST_LINE_VERSION.exec(packet.toString('latin1', 0, Math.min(packet.length, 8_192)))
  return match !== null && match[1] !== '1'
}

/** CONNECT (authority-form) is for forward proxies; Node would drop the socket silently without this. */
function onConnect(_req: IncomingMessage, socket: Duplex): void {
  const body = JSON.stringify({ error: REJECTIONS.connectNotAllowed.code, message: REJECTIONS.connectNotAllowed.message })
  socket.end(
    `HTTP/1.1 405 Method Not Allowed\r\nAllow: GET, HEAD, POST, PUT, DELETE, OPTIONS, PATCH\r\nContent-Type: application/json\r\n` +
      `Connection: close\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  )
}

function formatHost(address: string): string {
  return address.includes(':') ? `[${address}]` : address
}
