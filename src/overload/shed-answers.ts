import { SHED_REASONS } from './wait-queue.js'

/** The stable error code of each shed reason (SHED_* order). */
export const SHED_CODES: readonly string[] = [
  'BATON_OVERLOAD_SHED',
  'BATON_QUEUE_TIMEOUT',
  'BATON_BREAKER_MAX_PENDING',
  'BATON_BREAKER_MAX_REQUESTS',
  'BATON_BREAKER_ENDPOINT_MAX_REQUESTS',
]

const MESSAGES: readonly string[] = [
  'the upstream is overloaded: requests of this priority are shed',
  'no capacity became free within the queue deadline',
  'too many requests are waiting for the upstream',
  'too many requests are in flight to the upstream',
  'too many requests are in flight to the endpoint',
]

/**
 * The 503 of every shed reason, prebuilt per upstream (its Retry-After): a shed answer costs one writeHead with
 * a ready header list and one end with a ready body, no JSON encoding and no header object per request.
 */
export class ShedAnswers {
  readonly headers: readonly (readonly string[])[]
  readonly bodies: readonly Buffer[]

  constructor(retryAfterSec: number) {
    this.bodies = SHED_REASONS.map((_, r) => Buffer.from(JSON.stringify({ error: SHED_CODES[r], message: MESSAGES[r] })))
    this.headers = this.bodies.map((body) => [
      'content-type',
      'application/json',
      'content-length',
      String(body.length),
      'cache-control',
      'no-store',
      'retry-after',
      String(retryAfterSec),
    ])
  }
}
