/** delay-seconds: one or more digits (RFC 9110 §10.2.3). */
const DELAY_SECONDS = /^\d+$/
/** Every HTTP-date form starts with a day name; Date.parse alone would read "-1" or "1.5" as years. */
const DAY_NAME = /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)/

/**
 * How long a Retry-After field value asks to wait, ms from `wallNowMs` (ms since the epoch), capped at `maxMs`:
 * delay-seconds ("120") or an HTTP-date ("Wed, 21 Oct 2026 07:28:00 GMT"; Date.parse reads IMF-fixdate and the
 * obsolete RFC 850 and asctime forms RFC 9110 §5.6.7 requires recipients to accept). A date in the past is 0;
 * anything else unreadable is -1 (ignored, as §10.2.3 allows).
 */
export function retryAfterMs(value: string, wallNowMs: number, maxMs: number): number {
  const text = value.trim()
  if (DELAY_SECONDS.test(text)) return Math.min(maxMs, Number(text) * 1000)
  const at = DAY_NAME.test(text) ? Date.parse(text) : Number.NaN
  if (Number.isNaN(at)) return -1
  return Math.min(maxMs, Math.max(0, at - wallNowMs))
}

/** The Retry-After value in undici's raw response headers ([name, value, …] as Buffers), or null. */
export function retryAfterValue(rawHeaders: readonly Buffer[]): string | null {
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]
    if (name.length === 11 && name.toString('latin1').toLowerCase() === 'retry-after') return rawHeaders[i + 1].toString('latin1')
  }
  return null
}
