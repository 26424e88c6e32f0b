import { createHmac, timingSafeEqual } from 'node:crypto'

/** Header of the signature: `sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`. */
export const SIGNATURE_HEADER = 'x-baton-signature'
/** Header of the signing time, whole seconds since the Unix epoch. */
export const TIMESTAMP_HEADER = 'x-baton-timestamp'
/** A receiver should refuse a delivery signed longer ago than this (replays), s. */
export const DEFAULT_TOLERANCE_S = 300

/**
 * The signature of a webhook delivery. The timestamp is signed with the body (as Stripe and Slack sign theirs),
 * so a captured delivery cannot be replayed later with a fresh timestamp.
 */
export function signDelivery(secret: string, timestampS: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestampS}.${body}`).digest('hex')}`
}

/**
 * What a receiver checks (exported for receivers written in TypeScript, and for the tests): the signature over
 * timestamp and body, compared in constant time, and a timestamp within toleranceS of nowS.
 */
export function verifyDelivery(secret: string, timestamp: string, body: string, signature: string, nowS: number, toleranceS = DEFAULT_TOLERANCE_S): boolean {
  const t = Number(timestamp)
  if (!Number.isInteger(t) || Math.abs(nowS - t) > toleranceS) return false
  const expected = Buffer.from(signDelivery(secret, t, body))
  const given = Buffer.from(signature)
  return given.length === expected.length && timingSafeEqual(given, expected)
}
