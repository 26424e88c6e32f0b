/**
 * The authority of a Host header or of a host[:port] written in config (RFC 9110 §7.2, RFC 3986 §3.2.2),
 * normalised so that two spellings of one host compare equal: the name lower-cased, IPv4 in dotted decimal,
 * IPv6 compressed and in brackets (WHATWG URL host serialisation, as browsers send it).
 */
export interface Authority {
  readonly hostname: string
  /** The port as written; null when none was. */
  readonly port: number | null
}

const PORT_SUFFIX = /:(\d{1,5})$/
/** A registered name (letters, digits, "-", "_", dots) or a bracketed IPv6 literal: nothing a URL would decode or reinterpret. */
const HOST_SYNTAX = /^(?:[a-z0-9_-]+(?:\.[a-z0-9_-]+)*\.?|\[[0-9a-f:.]+\])$/

/** `text` split into a normalised host name and port, or null when it is not a plain host[:port]. */
export function parseAuthority(text: string): Authority | null {
  const suffix = PORT_SUFFIX.exec(text)
  const host = (suffix === null ? text : text.slice(0, suffix.index)).toLowerCase()
  const port = suffix === null ? null : Number(suffix[1])
  if (port !== null && (port < 1 || port > 65_535)) return null
  if (!HOST_SYNTAX.test(host)) return null
  try {
    return { hostname: new URL(`http://${host}`).hostname, port }
  } catch {
    return null // e.g. 999.1.1.1: looks numeric, is not an IPv4 address
  }
}

/** "API.example.com:8080" → "api.example.com"; "[::1]:80" → "[::1]"; absent → "". */
export function normaliseHost(hostHeader: string | undefined): string {
  if (hostHeader === undefined) return ''
  const end = hostHeader.startsWith('[') ? hostHeader.indexOf(']') + 1 : hostHeader.indexOf(':')
  const host = end > 0 ? hostHeader.slice(0, end) : hostHeader
  return host.toLowerCase()
}
