import type { Logger } from '../util/logger.js'
import type { ExchangeListener, ProxyExchange } from '../forward/proxy-exchange.js'

/** One info line per finished exchange; only installed when `logging.accessLog` is on. */
export class AccessLog implements ExchangeListener {
  constructor(private readonly logger: Logger) {}

  onExchangeEnd(exchange: ProxyExchange): void {
    this.logger.info(
      {
        method: exchange.req.method,
        url: exchange.req.url,
        status: exchange.status,
        route: exchange.route.route,
        upstream: exchange.cluster.name,
        endpoint: exchange.endpoint.id,
        latencyMs: Math.round(exchange.latencyMs * 1000) / 1000,
        retries: exchange.retries,
        hedges: exchange.hedges,
        error: exchange.errorCode,
        client: exchange.req.socket.remoteAddress,
      },
      'access',
    )
  }
}
