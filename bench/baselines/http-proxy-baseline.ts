/**
 * Baseline: the classic Node reverse proxy, http-proxy (node-http-proxy) on Node's http client with a
 * keep-alive Agent, so it is measured at its best rather than opening a connection per request.
 */
import { Agent, createServer, type ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import httpProxy from 'http-proxy'
import { listenLoopback } from '../lib/listen.js'

/** Upstream sockets, the same as Baton's default poolConnections. */
const MAX_SOCKETS = 128

export function startHttpProxyBaseline(backendUrl: string): Promise<string> {
  const agent = new Agent({ keepAlive: true, maxSockets: MAX_SOCKETS })
  const proxy = httpProxy.createProxyServer({ target: backendUrl, agent })
  proxy.on('error', (_err, _req, res) => replyBadGateway(res))
  const server = createServer((req, res) => proxy.web(req, res))
  return listenLoopback(server)
}

function replyBadGateway(res: ServerResponse | Socket): void {
  if (!('writeHead' in res)) res.destroy()
  else if (res.headersSent) res.destroy()
  else res.writeHead(502).end()
}
