import type { BatonResponse } from '../forward/baton-response.js'
import type { RateLimiter } from '../overload/rate-limiter.js'
import { sendError } from '../util/error-response.js'
import { rawErrorResponse } from '../util/raw-response.js'

/** The stable code of a request refused by a route's rate limit. */
export const RATE_LIMITED = 'BATON_RATE_LIMITED'

/**
 * The fields of a 429 for a request over its route's limit: Retry-After in whole seconds (RFC 9110 §10.2.3;
 * the limiter rounds up), and RateLimit-Policy / RateLimit of draft-ietf-httpapi-ratelimit-headers-10 (quota
 * q = the burst over a window w = the seconds to refill it; r = 0 tokens remaining, t = seconds until the
 * next), so a client library that reads them can pace itself. Only refusals carry them: an admitted request
 * costs nothing extra.
 */
function rateLimitFields(limiter: RateLimiter, seconds: number): [string, string][] {
  return [
    ['Retry-After', String(seconds)],
    ['RateLimit-Policy', `"baton";q=${limiter.config.burst};w=${limiter.windowSeconds()}`],
    ['RateLimit', `"baton";r=0;t=${seconds}`],
  ]
}

function message(limiter: RateLimiter, seconds: number): string {
  return `over the rate limit of route "${limiter.route}": retry in ${seconds} s`
}

/** 429 on a response, before any backend was chosen. */
export function answerRateLimited(res: BatonResponse, limiter: RateLimiter, seconds: number): void {
  for (const [name, value] of rateLimitFields(limiter, seconds)) res.setHeader(name, value)
  sendError(res, 429, RATE_LIMITED, message(limiter, seconds))
}

/** The same 429 as raw bytes, for a WebSocket handshake's socket (util/raw-response.ts). */
export function rawRateLimited(limiter: RateLimiter, seconds: number): string {
  return rawErrorResponse(429, RATE_LIMITED, message(limiter, seconds), rateLimitFields(limiter, seconds))
}
