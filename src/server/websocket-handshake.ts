import type { IncomingMessage } from 'node:http'
import type { ProxyError } from '../util/errors.js'
import type { RequestHead } from '../forward/request-headers.js'
import { REJECTIONS } from '../forward/request-rejections.js'

/** RFC 6455 §4.1: base64 of a 16-byte nonce is 22 characters and "==" (as the ws package checks it). */
const KEY = /^[A-Za-z0-9+/]{22}==$/

/**
 * The opening-handshake rules of RFC 6455 §4.1 that a proxy must hold before opening a tunnel, checked after
 * the ordinary screening (request-screen.ts): an HTTP/1.1 GET without a body (nothing may follow the head but
 * frames, and none is forwarded before the backend's 101), exactly one Sec-WebSocket-Key that is a base64
 * 16-byte value, and Sec-WebSocket-Version 13. Null when the handshake may go on.
 */
export function webSocketRefusal(req: IncomingMessage, head: RequestHead): ProxyError | null {
  if (req.method !== 'GET' || req.httpVersionMinor !== 1 || head.transferEncoding !== null) return REJECTIONS.webSocketNotGet
  if (head.contentLength !== null && head.contentLength.trim() !== '0') return REJECTIONS.webSocketNotGet
  let key: string | null = null
  let keys = 0
  let version: string | null = null
  let versions = 0
  const raw = req.rawHeaders
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]
    if (name.length !== 17 && name.length !== 21) continue
    const lower = name.toLowerCase()
    if (lower === 'sec-websocket-key') {
      key = raw[i + 1].trim()
      keys++
    } else if (lower === 'sec-websocket-version') {
      version = raw[i + 1].trim()
      versions++
    }
  }
  if (keys !== 1 || key === null || !KEY.test(key)) return REJECTIONS.webSocketKey
  if (versions !== 1 || version !== '13') return REJECTIONS.webSocketVersion
  return null
}
