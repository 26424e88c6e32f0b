import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Registry } from 'prom-client'
import type { AdminConfig } from '../config/types.js'
import { sendError } from '../server/error-response.js'
import type { Clock } from '../util/clock.js'
import type { Logger } from '../util/logger.js'
import { RouteTable } from './route-table.js'
import { sendJson } from './send-json.js'
import { serveEvents } from './events-api.js'
import { serveExplain, serveModels, serveRollback } from './model-api.js'
import type { AdminSource } from './types.js'
import { describeUpstreams } from './upstreams-api.js'

/**
 * How long close() lets in-flight admin responses finish before cutting their connections, ms. Admin answers
 * are small; this bounds long-lived ones (a scrape stuck on a slow client, a future event stream).
 */
const CLOSE_GRACE_MS = 1_000

export interface AdminDeps {
  readonly clock: Clock
  readonly logger: Logger
  readonly registry: Registry
}

export interface AdminServer {
  /** http://address:port actually bound (port 0 becomes a real port). */
  readonly url: string
  /** Stops accepting, closes idle keep-alive connections at once and the rest after a short grace. */
  close(): Promise<void>
}

/** Starts the admin HTTP server: health, Prometheus metrics and the JSON API. */
export async function startAdminServer(config: AdminConfig, source: AdminSource, deps: AdminDeps): Promise<AdminServer> {
  const routes = adminRoutes(source, deps)
  const server = createServer((req, res) => {
    routes.handle(req, res).catch((err: unknown) => {
      deps.logger.error({ err, url: req.url }, 'admin request failed')
      sendError(res, 500, 'internal_error', 'the admin request failed')
    })
  })
  const url = await listen(server, config)
  return { url, close: () => close(server) }
}

function adminRoutes(source: AdminSource, { clock, registry, logger }: AdminDeps): RouteTable {
  return new RouteTable()
    .add('GET', '/healthz', (_req, res) => sendJson(res, 200, { status: 'ok' }))
    .add('GET', '/metrics', async (_req, res) => {
      const body = await registry.metrics()
      res.writeHead(200, {
        'content-type': registry.contentType,
        'content-length': Buffer.byteLength(body),
        'cache-control': 'no-store',
      })
      res.end(body)
    })
    .add('GET', '/api/upstreams', (_req, res) => sendJson(res, 200, describeUpstreams(source.upstreams(), clock.now())))
    .add('GET', '/api/events', (req, res) => serveEvents(source.events, req, res))
    .add('GET', '/api/model', (_req, res) => serveModels(source.upstreams(), res))
    .add('POST', '/api/model/rollback', (req, res) => serveRollback(source.upstreams(), req, res, logger))
    .add('GET', '/api/model/explain', (_req, res) => serveExplain(source.upstreams(), res))
}

function listen(server: Server, config: AdminConfig): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(config.port, config.address, () => {
      server.off('error', reject)
      resolve(urlOf(server.address() as AddressInfo))
    })
  })
}

function urlOf(address: AddressInfo): string {
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
  return `http://${host}:${address.port}`
}

function close(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    const deadline = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS)
    server.close((err) => {
      clearTimeout(deadline)
      if (err === undefined) resolve()
      else reject(err)
    })
    server.closeIdleConnections()
  })
}
