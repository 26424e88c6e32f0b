import type { BatonResponse } from '../forward/baton-response.js'
import type { RateLimiter } from '../overload/rate-limiter.js'
import { sendError } from '../util/error-response.js'

/** The stable code of a request refused by a route's rate limit. */
export const RATE_LIMITED = 'BATON_RATE_LIMITED'

/**
 * 429 for a request over its route's limit, before any backend was chosen: Retry-After in whole seconds
 * (RFC 9110 §10.2.3; the limiter rounds up), and the RateLimit-Policy / RateLimit fields of
 * draft-ietf-httpapi-ratelimit-headers-10 (quota q = the burst over a window w = the seconds to refill it;
 * r = 0 tokens remaining, t = seconds until the next), so a client library that reads them can pace itself.
 * Only refusals carry them: an admitted request costs nothing extra.
 */
export function answerRateLimited(res: BatonResponse, limiter: RateLimiter, seconds: number): void {
  res.setHeader('retry-after', seconds)
  res.setHeader('ratelimit-policy', `"baton";q=${limiter.config.burst};w=${limiter.windowSeconds()}`)
  res.setHeader('ratelimit', `"baton";r=0;t=${seconds}`)
  sendError(res, 429, RATE_LIMITED, `over the rate limit of route "${limiter.route}": retry in ${seconds} s`)
}
