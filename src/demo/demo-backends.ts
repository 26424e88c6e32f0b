import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { DemoBackendConfig, DemoConfig } from '../config/types.js'
import type { Logger } from '../util/logger.js'
import { mathRng, type Rng } from '../util/rng.js'

/** The in-process demo upstreams of config/demo.yaml, so a newcomer sees balancing without starting anything. */
export interface DemoBackends {
  readonly urls: readonly string[]
  close(): Promise<void>
}

export async function startDemoBackends(config: DemoConfig, logger: Logger, rng: Rng = mathRng): Promise<DemoBackends> {
  const servers = await Promise.all(config.backends.map((b) => listen(b, rng)))
  const urls = servers.map((s, i) => `http://${config.backends[i].address}:${portOf(s)}`)
  logger.info({ backends: config.backends.map((b, i) => ({ name: b.name, url: urls[i], latencyMs: b.latencyMs })) }, 'demo backends started')
  return {
    urls,
    close: () => Promise.all(servers.map(closeServer)).then(() => undefined),
  }
}

function listen(backend: DemoBackendConfig, rng: Rng): Promise<Server> {
  const server = createServer((req, res) => serve(backend, rng, req, res))
  server.keepAliveTimeout = 65_000 // longer than the proxy pool's idle timeout, so the proxy closes first
  return new Promise((resolve, reject) => {
    server.once('error', (err) => reject(new Error(`demo backend "${backend.name}" cannot listen on ${backend.address}:${backend.port}: ${err.message}`)))
    server.listen(backend.port, backend.address, () => resolve(server))
  })
}

/** Answers after the configured latency plus uniform jitter; fails with 500 at the configured rate. */
function serve(backend: DemoBackendConfig, rng: Rng, req: IncomingMessage, res: ServerResponse): void {
  req.resume()
  const delayMs = backend.latencyMs + rng.next() * backend.jitterMs
  const failed = rng.next() < backend.errorRate
  setTimeout(() => {
    const body = JSON.stringify({ backend: backend.name, path: req.url, delayMs: Math.round(delayMs) }) + '\n'
    res.writeHead(failed ? 500 : 200, { 'content-type': 'application/json', 'x-demo-backend': backend.name })
    res.end(body)
  }, delayMs)
}

function portOf(server: Server): number {
  const address = server.address()
  return typeof address === 'object' && address !== null ? address.port : 0
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve())
    server.closeAllConnections()
  })
}
