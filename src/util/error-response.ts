import type { ServerResponse } from 'node:http'

/**
 * Ends a response with a short JSON error body carrying a stable code, e.g.
 * {"error":"BATON_UPSTREAM_CONNECT","message":"could not connect to the upstream"}.
 * Does nothing once headers went out: then the only honest signal left is to cut the connection.
 */
export function sendError(res: ServerResponse, status: number, code: string, message: string): void {
  if (res.headersSent || res.destroyed) return
  const body = JSON.stringify({ error: code, message })
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  })
  res.end(body)
}
