/**
 * Baseline: the least a Node proxy can do with undici. One Pool to the backend; method, url and headers
 * forwarded untouched (no hop-by-hop stripping, no X-Forwarded-*); the response streamed straight into
 * the client's ServerResponse with pool.stream. Baton should cost little more than this.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { Pool, type Dispatcher } from 'undici'
import { listenLoopback } from '../lib/listen.js'

/** Upstream connections, the same as Baton's default poolConnections. */
const POOL_CONNECTIONS = 128

export function startMinimalUndiciProxy(backendUrl: string): Promise<string> {
  const pool = new Pool(backendUrl, { connections: POOL_CONNECTIONS })
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    pool.stream(
      {
        method: req.method as Dispatcher.HttpMethod,
        path: req.url ?? '/',
        headers: req.headers,
        // Only a Content-Length body is streamed up; chunked uploads are out of scope for a baseline.
        body: req.headers['content-length'] === undefined ? null : req,
      },
      ({ statusCode, headers }) => res.writeHead(statusCode, headers),
      (err) => {
        if (err === null) return
        if (res.headersSent) res.destroy(err)
        else res.writeHead(502).end()
      },
    )
  })
  return listenLoopback(server)
}
