import { ProxyError } from '../util/errors.js'

function rejection(code: string, status: number, message: string): ProxyError {
  return new ProxyError(code, status, 'client', false, message)
}

/**
 * Every answer Baton gives a request it refuses at the edge, before any backend is chosen, built once.
 * All are the client's doing: nothing reaches a backend, nothing counts against one.
 */
export const REJECTIONS = {
  tooManyHeaders: rejection('BATON_TOO_MANY_HEADERS', 431, 'the request has more header fields than maxHeadersCount'),
  /** RFC 9112 §3.2: a request with more than one Host field, or an invalid one, gets 400. */
  duplicateHost: rejection('BATON_BAD_HOST', 400, 'the request has more than one Host header'),
  badHost: rejection('BATON_BAD_HOST', 400, 'the Host header (or the target authority) is not a valid host[:port]'),
  missingHost: rejection('BATON_BAD_HOST', 400, 'an HTTP/1.1 request needs a Host header'),
  /** RFC 9110 §7.6.3 and RFC 8586 spirit: our own pseudonym in Via means this request came round again. */
  loop: rejection('BATON_LOOP_DETECTED', 508, 'the request already passed through this proxy (Via)'),
  tooManyHops: rejection('BATON_LOOP_DETECTED', 508, 'the request passed through more proxies than via.maxHops'),
  underscoreHeader: rejection('BATON_UNDERSCORE_HEADER', 400, 'header names with "_" are refused on this listener'),
  /** RFC 9112 §6.1: Transfer-Encoding in an HTTP/1.0 request makes the message faulty. */
  transferEncodingHttp10: rejection('BATON_BAD_TRANSFER_ENCODING', 400, 'Transfer-Encoding is not allowed in an HTTP/1.0 request'),
  /** RFC 9112 §6.3: chunked not the final coding of a request: its length cannot be known; 400 and close. */
  transferEncodingNotChunked: rejection('BATON_BAD_TRANSFER_ENCODING', 400, 'the final Transfer-Encoding of a request must be chunked'),
  /** RFC 9112 §6.1: a coding the server does not understand gets 501. */
  unsupportedTransferEncoding: rejection('BATON_UNSUPPORTED_TRANSFER_ENCODING', 501, 'only Transfer-Encoding: chunked is implemented'),
  badTarget: rejection('BATON_BAD_REQUEST_TARGET', 400, 'the request target is not a valid path or URL'),
  badPath: rejection('BATON_BAD_PATH', 400, 'the path is invalid (a bad escape, or it climbs above the root)'),
  encodedSlash: rejection('BATON_ENCODED_SLASH', 400, 'an encoded slash (%2F) in the path is refused on this listener'),
  /** TRACE echoes the request, cookies and credentials included (cross-site tracing): refused unless a route allows it. */
  traceNotAllowed: rejection('BATON_METHOD_NOT_ALLOWED', 405, 'TRACE is not allowed on this route'),
  connectNotAllowed: rejection('BATON_METHOD_NOT_ALLOWED', 405, 'CONNECT is not supported: Baton is a reverse proxy'),
  versionNotSupported: rejection('BATON_HTTP_VERSION', 505, 'only HTTP/1.0 and HTTP/1.1 are supported'),
  /** An HTTP/0.9 request line (no version): no headers, no Host, nothing to route by. */
  http09: rejection('BATON_HTTP_VERSION', 400, 'HTTP/0.9 requests are not supported'),
  bodyTooLarge: rejection('BATON_BODY_TOO_LARGE', 413, 'the request body is larger than maxBodySize'),
  noRoute: rejection('BATON_NO_ROUTE', 404, 'no route matches this host and path'),
  /** RFC 6455 §4.1: a WebSocket opening handshake is an HTTP/1.1 GET without a body. */
  webSocketNotGet: rejection('BATON_BAD_WEBSOCKET_HANDSHAKE', 400, 'a WebSocket handshake is an HTTP/1.1 GET without a body'),
  /** RFC 6455 §4.1, §11.3.1: Sec-WebSocket-Key is one base64-encoded 16-byte nonce. */
  webSocketKey: rejection('BATON_BAD_WEBSOCKET_HANDSHAKE', 400, 'Sec-WebSocket-Key is missing, repeated, or not a base64-encoded 16-byte value'),
  /** RFC 6455 §4.2.2: only version 13 is defined; the answer names it in Sec-WebSocket-Version. */
  webSocketVersion: rejection('BATON_BAD_WEBSOCKET_HANDSHAKE', 400, 'Sec-WebSocket-Version must be 13'),
  /** The listener's maxTunnels are open: not the client's fault, but nothing reached a backend either. */
  tooManyTunnels: new ProxyError('BATON_TOO_MANY_TUNNELS', 503, 'proxy', false, 'this listener has as many WebSocket tunnels open as maxTunnels allows'),
  /** Shutting down: tunnels are being closed, new ones are refused. */
  tunnelsClosing: new ProxyError('BATON_SHUTTING_DOWN', 503, 'proxy', false, 'this listener is shutting down and opens no new WebSocket tunnel'),
} as const
