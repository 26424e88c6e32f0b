import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Registry } from 'prom-client'
import type { AdminConfig } from '../config/types.js'
import { sendError } from '../util/error-response.js'
import type { Clock } from '../util/clock.js'
import type { Logger } from '../util/logger.js'
import { isLoopbackAddress } from '../util/loopback-address.js'
import { AdminAuth, adminGuard } from './admin-auth.js'
import { addDashboardRoutes } from './dashboard-routes.js'
import { DashboardSampler } from './dashboard-sampler.js'
import { DashboardStream } from './dashboard-stream.js'
import { AUTH_FAILURE_WINDOW_MS, AuthFailureTrail } from './auth-failure-trail.js'
import { describeRoutes, redactedConfig } from './config-api.js'
import { ENDPOINT_ACTIONS, endpointAction } from './endpoint-actions.js'
import { serveAudit } from './audit-api.js'
import { RouteTable, type RouteGuard } from './route-table.js'
import { sendJson } from './send-json.js'
import { serveAnomalies } from './anomalies-api.js'
import { serveEvents } from './events-api.js'
import { serveExplain, serveModels, serveRollback } from './model-api.js'
import type { AdminSource } from './types.js'
import { describeUpstreams } from './upstreams-api.js'
import { describeRateLimits } from './ratelimits-api.js'

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
  /** The listening server, to hand its socket to a successor process (zero-downtime restart). */
  readonly server: Server
  /** Stops accepting, closes idle keep-alive connections at once and the rest after a short grace. */
  close(): Promise<void>
}

/**
 * Starts the admin HTTP server: health, Prometheus metrics and the JSON API, every call but /healthz behind
 * admin-auth.ts. Refuses (throws) to listen on a non-loopback address without a token: config validation
 * already rejects that in YAML, this holds for configs built in code too.
 */
export async function startAdminServer(
  config: AdminConfig,
  source: AdminSource,
  deps: AdminDeps,
  /** The descriptor of a listening socket handed over by a predecessor process (zero-downtime restart). */
  inherited: { readonly fd: number } | null = null,
): Promise<AdminServer> {
  if (config.tokens.length === 0 && !isLoopbackAddress(config.address)) {
    throw new Error(`refusing to start the admin API on ${config.address} without a token: anyone who reaches it could use it; set admin.tokens or listen on 127.0.0.1`)
  }
  const server = createServer()
  const bound = await listen(server, config, inherited)
  // The Host rule needs the port actually bound. Attaching the handler now loses nothing: Node emits
  // 'listening' (and runs this continuation) before it reads any connection's first byte.
  const stream = new DashboardStream(new DashboardSampler(() => source.upstreams(), source.events, deps.clock), deps.logger)
  const failures = new AuthFailureTrail(source.audit, deps.clock)
  // Summaries of collapsed auth failures are written once their window is over, even if the peer stopped.
  const flushTimer = setInterval(() => failures.flush(), AUTH_FAILURE_WINDOW_MS).unref()
  const routes = addDashboardRoutes(adminRoutes(source, deps, adminGuard(new AdminAuth(config, bound), deps.logger, failures)), stream)
  server.on('request', (req, res) => {
    routes.handle(req, res).catch((err: unknown) => {
      deps.logger.error({ err, url: req.url }, 'admin request failed')
      sendError(res, 500, 'internal_error', 'the admin request failed')
    })
  })
  return {
    url: urlOf(bound),
    server,
    close: () => {
      stream.close()
      clearInterval(flushTimer)
      failures.flush(true)
      return close(server)
    },
  }
}

/** The admin API. A route's access (public, read, write) decides the checks it gets (admin-auth.ts). */
function adminRoutes(source: AdminSource, { clock, registry, logger }: AdminDeps, guard: RouteGuard): RouteTable {
  const table = new RouteTable(guard)
  for (const action of ENDPOINT_ACTIONS) {
    table.add('POST', `/api/upstreams/:upstream/endpoints/:endpoint/${action}`, 'write', endpointAction(action, source, clock))
  }
  return table
    .add('GET', '/healthz', 'public', (_req, res) =>
      source.draining() ? sendJson(res, 503, { status: 'draining' }) : sendJson(res, 200, { status: 'ok' }),
    )
    .add('GET', '/metrics', 'read', async (_req, res) => {
      const body = await registry.metrics()
      res.writeHead(200, {
        'content-type': registry.contentType,
        'content-length': Buffer.byteLength(body),
        'cache-control': 'no-store',
      })
      res.end(body)
    })
    .add('GET', '/api/upstreams', 'read', (_req, res) => sendJson(res, 200, describeUpstreams(source.upstreams(), clock.now())))
    .add('GET', '/api/events', 'read', (req, res) => serveEvents(source.events, req, res))
    .add('GET', '/api/anomalies', 'read', (_req, res) => serveAnomalies(source.anomalies, res))
    .add('GET', '/api/ratelimits', 'read', (_req, res) => sendJson(res, 200, describeRateLimits(source.rateLimits?.() ?? [])))
    .add('GET', '/api/model', 'read', (_req, res) => serveModels(source.upstreams(), res))
    .add('POST', '/api/model/rollback', 'write', (req, res, call) => serveRollback(source.upstreams(), req, res, logger, source.audit, call.actor))
    .add('POST', '/api/reload', 'write', async (_req, res, call) => {
      const outcome = await source.reload(call.actor)
      source.audit.record({ actor: call.actor, action: 'reload', target: '', before: null, after: outcome, reason: outcome.ok ? '' : 'the config file was refused' })
      if (outcome.ok) sendJson(res, 200, outcome)
      else sendJson(res, 400, { error: 'BATON_CONFIG_INVALID', message: 'the config file was refused; the running config stays', ...outcome })
    })
    .add('GET', '/api/model/explain', 'read', (_req, res) => serveExplain(source.upstreams(), res))
    .add('GET', '/api/routes', 'read', (_req, res) => sendJson(res, 200, describeRoutes(source.config())))
    .add('GET', '/api/config', 'read', (_req, res) => sendJson(res, 200, redactedConfig(source.config())))
    .add('GET', '/api/audit', 'read', (req, res) => serveAudit(source, req, res, Date.now()))
}

/** Binds, or takes over the listening socket a predecessor process handed over. */
function listen(server: Server, config: AdminConfig, inherited: { readonly fd: number } | null): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    const bound = (): void => {
      server.off('error', reject)
      resolve(server.address() as AddressInfo)
    }
    if (inherited === null) server.listen(config.port, config.address, bound)
    else server.listen(inherited, bound)
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
