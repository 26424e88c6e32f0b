import { Outcome } from '../util/outcome.js'
import { ProxyError } from '../util/errors.js'

/** An error a request body stream is destroyed with; its code maps to a client fault below. */
class RequestBodyError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message)
  }
}

/** The client's framing broke mid-body (a bad chunk size, say): what reached the backend must not look complete. */
export const BODY_BROKEN: Error = new RequestBodyError('BATON_BAD_REQUEST_BODY', 'the request body did not match its framing')
/** The body outgrew maxBodySize while streaming. */
export const BODY_TOO_LARGE: Error = new RequestBodyError('BATON_BODY_TOO_LARGE', 'the request body is larger than maxBodySize')
/** The client left before its body ended (undici's own code for an aborted request). */
export const BODY_ABANDONED: Error = new RequestBodyError('UND_ERR_ABORTED', 'the client went away mid-body')

/** A classified failure: what the client is told, and how the attempt counts for the balancer. */
export interface Failure {
  readonly error: ProxyError
  readonly outcome: Outcome
}

function failure(code: string, status: number, retryable: boolean, outcome: Outcome, message: string): Failure {
  const source = outcome === Outcome.ClientAbort ? 'client' : 'upstream'
  return { error: new ProxyError(code, status, source, retryable, message), outcome }
}

/**
 * A failure the request itself caused (refused by undici before a byte was sent, a client body that broke its
 * framing or outgrew the limit): the client's, never the endpoint's. Outcome ClientAbort is the one outcome that
 * outlier detection, forecasts and the policies ignore, and it is never retried.
 */
function clientFault(code: string, status: number, message: string): Failure {
  return failure(code, status, false, Outcome.ClientAbort, message)
}

/**
 * Every failure the request path can meet, built once: classification allocates nothing.
 * `retryable` means another endpoint could serve the request (nothing reached the backend's application,
 * or the request is idempotent; the retry issue decides with the method).
 */
export const FAILURES = {
  connect: failure('BATON_UPSTREAM_CONNECT', 502, true, Outcome.ConnectFailure, 'could not connect to the upstream'),
  connectTimeout: failure('BATON_UPSTREAM_CONNECT_TIMEOUT', 504, true, Outcome.Timeout, 'connecting to the upstream timed out'),
  /**
   * The TLS handshake with an https:// endpoint failed: its certificate did not verify (untrusted, expired, another
   * name) or it does not speak TLS. A connect failure: nothing reached the backend, another endpoint may do.
   */
  tls: failure('BATON_UPSTREAM_TLS', 502, true, Outcome.ConnectFailure, 'the TLS handshake with the upstream failed (its certificate did not verify)'),
  headersTimeout: failure('BATON_UPSTREAM_TIMEOUT', 504, true, Outcome.Timeout, 'the upstream did not answer in time'),
  bodyTimeout: failure('BATON_UPSTREAM_BODY_TIMEOUT', 504, false, Outcome.Timeout, 'the upstream stalled while sending the body'),
  reset: failure('BATON_UPSTREAM_RESET', 502, true, Outcome.Reset, 'the upstream closed the connection'),
  /** Retryable: an idempotent request whose response head was invalid may go to another endpoint (nothing reached the client). */
  protocol: failure('BATON_UPSTREAM_PROTOCOL', 502, true, Outcome.HttpError, 'the upstream sent an invalid response'),
  other: failure('BATON_UPSTREAM_ERROR', 502, false, Outcome.HttpError, 'the upstream request failed'),
  overallTimeout: failure('BATON_OVERALL_TIMEOUT', 504, false, Outcome.Timeout, 'the upstream did not answer within the overall timeout'),
  clientAbort: failure('BATON_CLIENT_ABORT', 499, false, Outcome.ClientAbort, 'the client went away'),
  /** A hedged pair's other try answered first: like a client abort, never the endpoint's fault. Never sent. */
  hedgeLost: failure('BATON_HEDGE_LOST', 499, false, Outcome.ClientAbort, 'another try answered first'),
  badRequestBody: clientFault('BATON_BAD_REQUEST_BODY', 400, 'the request body did not match its framing'),
  /** undici refused the request before sending it (an invalid header value, say): the request's fault. */
  invalidRequest: clientFault('BATON_INVALID_REQUEST', 400, 'the request cannot be forwarded as it is'),
  bodyTooLarge: clientFault('BATON_BODY_TOO_LARGE', 413, 'the request body is larger than maxBodySize'),
} as const

const BY_CODE: ReadonlyMap<string, Failure> = new Map([
  ['ECONNREFUSED', FAILURES.connect],
  ['ENOTFOUND', FAILURES.connect],
  ['EAI_AGAIN', FAILURES.connect],
  ['EHOSTUNREACH', FAILURES.connect],
  ['ENETUNREACH', FAILURES.connect],
  ['EADDRNOTAVAIL', FAILURES.connect],
  ['UND_ERR_CONNECT_TIMEOUT', FAILURES.connectTimeout],
  ['UND_ERR_HEADERS_TIMEOUT', FAILURES.headersTimeout],
  ['UND_ERR_BODY_TIMEOUT', FAILURES.bodyTimeout],
  ['ECONNRESET', FAILURES.reset],
  ['EPIPE', FAILURES.reset],
  ['UND_ERR_SOCKET', FAILURES.reset],
  ['UND_ERR_CLOSED', FAILURES.reset],
  ['UND_ERR_DESTROYED', FAILURES.reset],
  ['UND_ERR_HEADERS_OVERFLOW', FAILURES.protocol],
  ['UND_ERR_RES_CONTENT_LENGTH_MISMATCH', FAILURES.protocol],
  ['UND_ERR_ABORTED', FAILURES.clientAbort],
  ['UND_ERR_ABORT', FAILURES.clientAbort],
  ['UND_ERR_REQ_CONTENT_LENGTH_MISMATCH', FAILURES.badRequestBody],
  ['UND_ERR_INVALID_ARG', FAILURES.invalidRequest],
  ['UND_ERR_NOT_SUPPORTED', FAILURES.invalidRequest],
  // Codes the request body stream is destroyed with (server/request-body.ts; UND_ERR_ABORTED above): the client's doing.
  [FAILURES.badRequestBody.error.code, FAILURES.badRequestBody],
  [FAILURES.bodyTooLarge.error.code, FAILURES.bodyTooLarge],
])

/**
 * OpenSSL's certificate verification errors as Node names them (X509_V_ERR_* without the prefix), for the
 * upstream's own certificate; handshake failures come as ERR_SSL_* (OpenSSL) or ERR_TLS_* (Node, e.g. the name).
 */
const TLS_VERIFY_CODES: ReadonlySet<string> = new Set([
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY',
  'CERT_SIGNATURE_FAILURE',
  'CERT_NOT_YET_VALID',
  'CERT_HAS_EXPIRED',
  'ERROR_IN_CERT_NOT_BEFORE_FIELD',
  'ERROR_IN_CERT_NOT_AFTER_FIELD',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'CERT_CHAIN_TOO_LONG',
  'CERT_REVOKED',
  'INVALID_CA',
  'PATH_LENGTH_EXCEEDED',
  'INVALID_PURPOSE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'HOSTNAME_MISMATCH',
  'EPROTO',
])

/**
 * Classifies an error raised by undici (or the socket under it, or the request body stream) for one upstream
 * attempt. Rule: a failure is the endpoint's only when it came from the endpoint or the path to it; whatever
 * the request caused is the client's (source 'client', outcome ClientAbort), so crafted requests cannot eject
 * a healthy backend, spend the retry budget or teach the model (docs/ARCHITECTURE.md, "Whose fault").
 */
export function classifyUpstreamError(err: unknown): Failure {
  const code = errorCode(err)
  if (code === null) return isParserError(err) ? FAILURES.protocol : FAILURES.other
  const known = BY_CODE.get(code)
  if (known !== undefined) return known
  if (TLS_VERIFY_CODES.has(code) || code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_')) return FAILURES.tls
  return code.startsWith('HPE_') ? FAILURES.protocol : FAILURES.other
}

/** undici's HTTPParserError, which carries no code when llhttp gives none (a reply that is not HTTP at all). */
function isParserError(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { name?: unknown }).name === 'HTTPParserError'
}

/** The error's code, looking into a happy-eyeballs AggregateError or a `cause` when the top has none. */
function errorCode(err: unknown): string | null {
  if (typeof err !== 'object' || err === null) return null
  const e = err as { code?: unknown; errors?: unknown; cause?: unknown }
  if (typeof e.code === 'string') return e.code
  if (Array.isArray(e.errors) && e.errors.length > 0) return errorCode(e.errors[0])
  return e.cause === undefined ? null : errorCode(e.cause)
}
