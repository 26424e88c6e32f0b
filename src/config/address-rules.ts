import { isIP } from 'node:net'
import { normaliseHost } from '../util/authority.js'

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

/** A trusted-proxy range: an IPv4 or IPv6 address with an optional prefix length ("10.0.0.0/8", "::1"). */
export function cidrProblem(cidr: string): string | null {
  const slash = cidr.indexOf('/')
  const address = slash < 0 ? cidr : cidr.slice(0, slash)
  const family = isIP(address)
  if (family === 0) return `invalid CIDR "${cidr}": expected an IP address with an optional /prefix, like 10.0.0.0/8`
  if (slash < 0) return null
  const prefix = cidr.slice(slash + 1)
  const max = family === 4 ? 32 : 128
  if (!/^\d{1,3}$/.test(prefix) || Number(prefix) > max) return `invalid CIDR "${cidr}": the prefix length must be 0 to ${max}`
  return null
}
