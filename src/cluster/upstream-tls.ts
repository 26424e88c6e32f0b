import type { ConnectionOptions } from 'node:tls'
import type { UpstreamTlsConfig } from '../config/types.js'

/**
 * The TLS options an upstream's connections to its https:// endpoints are opened with (undici's `connect`
 * options, which it hands to tls.connect; http:// endpoints ignore them). Without a `tls` block the server
 * certificate is still verified, against Node's built-in roots and the URL's host: undefined keeps those defaults.
 */
export function upstreamTlsOptions(tls: UpstreamTlsConfig | null): ConnectionOptions | undefined {
  if (tls === null) return undefined
  const options: ConnectionOptions = { rejectUnauthorized: tls.rejectUnauthorized }
  if (tls.ca !== null) options.ca = tls.ca
  if (tls.servername !== null) options.servername = tls.servername
  return options
}
