import { normaliseHost } from '../router/router.js'

/** Checks of the network names a config holds. Each returns what is wrong, or null when the value is fine. */

/** Labels of letters, digits, "-" and "_" joined by dots, optionally led by one "*." wildcard (RFC 1123, plus "_"). */
const HOST_NAME = /^(\*\.)?[a-z0-9_-]+(\.[a-z0-9_-]+)*\.?$/i
const IPV6_LITERAL = /^\[[0-9a-f:.]+\]$/i

/** An endpoint URL is an origin: scheme, host and port, nothing else (the path comes from the request). */
export function originProblem(url: string): string | null {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return `invalid URL "${url}"`
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return `invalid URL "${url}": the scheme must be http or https`
  if (parsed.username !== '' || parsed.password !== '') return `invalid URL "${url}": credentials are not allowed`
  if (parsed.port === '0') return `invalid URL "${url}": the port must be between 1 and 65535`
  if (parsed.pathname !== '/' || parsed.search !== '' || parsed.hash !== '') return `invalid URL "${url}": an endpoint is an origin (scheme://host:port) without path or query`
  return null
}

/** A route's host: exact or "*.suffix", any case, an optional ":port" (ignored when matching). */
export function hostPatternProblem(host: string): string | null {
  if (host.lastIndexOf('*') > 0 || (host.startsWith('*') && !host.startsWith('*.'))) {
    return `invalid host pattern "${host}": a wildcard may only lead, as in *.example.com`
  }
  const bare = normaliseHost(host)
  if (HOST_NAME.test(bare) || IPV6_LITERAL.test(bare)) return null
  return `invalid host "${host}": expected a host name like api.example.com or *.example.com`
}
