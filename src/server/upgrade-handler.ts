import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import type { PickContext } from '../balancer/types.js'
import { ProxyError } from '../util/errors.js'
import { rawErrorResponse } from '../util/raw-response.js'
import { REJECTIONS } from '../forward/request-rejections.js'
import { answerAndClose, UpgradeExchange } from '../forward/upgrade-exchange.js'
import { requestHashKey } from './hash-key.js'
import { rateLimitKey } from './rate-limit-key.js'
import { rawRateLimited } from './rate-limited.js'
import type { RequestHandler } from './request-handler.js'
import { TunnelRegistry } from './tunnel-registry.js'
import { webSocketRefusal } from './websocket-handshake.js'

/** RFC 6455 §4.2.2: a refused version names the one this server speaks. */
const VERSION_FIELD: readonly (readonly [string, string])[] = [['Sec-WebSocket-Version', '13']]

/**
 * The 'upgrade' listener of one listener: only WebSocket handshakes come here (server/baton-request.ts keeps
 * every other Upgrade a plain request). A handshake goes through the same screening as any request
 * (request-screen.ts, with the rules of the handler serving the listener now, so a reload applies), then the
 * RFC 6455 handshake rules (websocket-handshake.ts), the listener's maxTunnels, the route's rate limit, and a pick by the upstream's
 * policy; then an UpgradeExchange carries it to the endpoint and, after a 101, tunnels it. Every refusal is the
 * JSON error an ordinary request would get, with Connection: close.
 */
export class UpgradeHandler {
  readonly tunnels = new TunnelRegistry()
  /** Reused: picks never overlap on this thread. */
  private readonly pickContext: PickContext = { hashKey: 0, attempt: 0, exclude: -1 }

  handle(handler: RequestHandler, req: IncomingMessage, socket: Duplex, clientHead: Buffer): void {
    socket.on('error', ignore) // Node took its own listener off with the socket; a reset must not crash the process
    const screen = handler.screen
    const route = screen.admit(req)
    if (route === null) return refuse(socket, REJECTIONS.webSocketNotGet) // OPTIONS * with an Upgrade
    if (route instanceof ProxyError) return refuse(socket, route)
    const handshake = webSocketRefusal(req, screen.head)
    if (handshake !== null) return refuse(socket, handshake, handshake === REJECTIONS.webSocketVersion ? VERSION_FIELD : [])
    if (this.tunnels.refusing) return refuse(socket, REJECTIONS.tunnelsClosing)
    if (this.tunnels.size >= handler.listener.maxTunnels) return refuse(socket, REJECTIONS.tooManyTunnels)
    const limiter = route.rateLimiter
    if (limiter !== null) {
      const waitSeconds = limiter.take(rateLimitKey(limiter, req, screen.builder), handler.env.clock.now())
      if (waitSeconds > 0) return answerAndClose(socket, rawRateLimited(limiter, waitSeconds))
    }
    const cluster = route.cluster
    // Only a hash-policy upstream pays for a key; the context is reused, so others get 0.
    this.pickContext.hashKey = cluster.hashKeySpec === null ? 0 : requestHashKey(cluster.hashKeySpec, req, screen.target.path)
    const endpoint = cluster.balancer.pick(this.pickContext)
    if (endpoint === null) {
      answerAndClose(socket, rawErrorResponse(503, 'BATON_NO_ENDPOINT', `no endpoint of upstream "${cluster.name}" is available`))
      return
    }
    screen.placeHost(endpoint)
    const env = { clock: handler.env.clock, viaEntry: handler.env.viaEntry, owner: this.tunnels }
    const exchange = new UpgradeExchange(socket, clientHead, cluster, endpoint, screen.target.path, screen.headers, env)
    this.tunnels.add(exchange)
    exchange.start()
  }
}

function refuse(socket: Duplex, error: ProxyError, extra: readonly (readonly [string, string])[] = []): void {
  answerAndClose(socket, rawErrorResponse(error.status, error.code, error.message, extra))
}

function ignore(): void {}
