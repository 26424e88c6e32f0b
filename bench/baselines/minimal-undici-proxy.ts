/**
 * Baseline: the least a Node proxy can do with undici. One Pool to the backend; method, url and headers
 * forwarded untouched (no hop-by-hop stripping, no X-Forwarded-*); the response streamed straight into
 * the client's ServerResponse with pool.stream. Baton should cost little more than this. The same handler
 * runs behind node:http (`undici-minimal`) and behind node:https (`undici-minimal-tls`, TLS termination and
 * nothing else added).
 */
import { readFileSync } from 'node:fs'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import { Pool, type Dispatcher } from 'undici'
import type { TlsFiles } from '../lib/certificate.js'
import { listenLoopback } from '../lib/listen.js'

/** Upstream connections, the same as Baton's default poolConnections. */
const POOL_CONNECTIONS = 128

export function startMinimalUndiciProxy(backendUrl: string): Promise<string> {
  return listenLoopback(createServer(minimalHandler(backendUrl)))
}

/** The same proxy on a TLS listener with `tls`'s certificate; the upstream stays plain HTTP. */
export function startMinimalUndiciTlsProxy(backendUrl: string, tls: TlsFiles): Promise<string> {
  const options = { cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile) }
  return listenLoopback(createHttpsServer(options, minimalHandler(backendUrl)))
}

function minimalHandler(backendUrl: string): (req: IncomingMessage, res: ServerResponse) => void {
  const pool = new Pool(backendUrl, { connections: POOL_CONNECTIONS })
  return (req, res) => {
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
  }
}
