/** Where a failure came from: decides whether it counts against a backend. */
export type ErrorSource = 'client' | 'upstream' | 'proxy' | 'config'

/**
 * A failure on the request path, classified once where it happens: a stable code for the JSON body
 * and the metrics, the HTTP status the client gets, its source, and whether another endpoint may be tried.
 */
export class ProxyError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    readonly source: ErrorSource,
    readonly retryable: boolean,
    message: string = code,
  ) {
    super(message)
    this.name = 'ProxyError'
  }
}
