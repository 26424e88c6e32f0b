import autocannon from 'autocannon'

/** One request in flight per connection: what browsers and proxies' own clients do. */
const PIPELINING = 1

export interface LoadOptions {
  readonly connections: number
  readonly durationSec: number
}

/** What one autocannon run measured. Latencies in ms, as autocannon reports them. */
export interface Measurement {
  /** Mean of the per-second request counts. */
  readonly rps: number
  readonly p50Ms: number
  readonly p99Ms: number
  /** Connection errors, timeouts included. */
  readonly errors: number
  readonly non2xx: number
  /** Responses with a 2xx status: the requests served, the divisor of CPU per request. */
  readonly served2xx: number
  /** Length of the run as autocannon timed it, seconds. */
  readonly durationSec: number
}

/**
 * Drives `url` with GET / for the given time from this process and summarises the run. An https:// URL (the
 * TLS contenders) is driven over TLS on the same keep-alive connections, so the handshakes happen once per
 * connection, at the start of the warm-up. Certificates are not verified, so the bench's self-signed one needs
 * nothing: autocannon 9 opens every TLS connection with `rejectUnauthorized: false` whatever its options say
 * (lib/httpClient.js), and NODE_TLS_REJECT_UNAUTHORIZED stays untouched.
 */
export async function runLoad(url: string, options: LoadOptions): Promise<Measurement> {
  const result = await autocannon({
    url,
    connections: options.connections,
    duration: options.durationSec,
    pipelining: PIPELINING,
  })
  return {
    rps: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.errors,
    non2xx: result.non2xx,
    served2xx: result['2xx'],
    durationSec: result.duration,
  }
}
