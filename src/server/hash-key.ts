import type { IncomingMessage } from 'node:http'
import { keyHash } from '../balancer/key-hash.js'
import type { HashKeySpec } from '../config/types.js'

/**
 * The hash key of a request for an upstream with the hash policy (PickContext.hashKey): the 32-bit hash
 * (balancer/key-hash.ts) of the header's value (the first such field), the cookie's value, the query
 * parameter's raw value, the client's address (the TCP peer, not X-Forwarded-For) or the normalised path
 * without its query; 0, "no key" (the policy's fallback), when the header, cookie or parameter is missing or
 * empty. Computed only for such upstreams (Cluster.hashKeySpec), in place on the raw strings: no allocation.
 */
export function requestHashKey(spec: HashKeySpec, req: IncomingMessage, path: string): number {
  switch (spec.source) {
    case 'header':
      return headerKey(req.rawHeaders, spec.name)
    case 'cookie':
      return cookieKey(req.rawHeaders, spec.name)
    case 'query':
      return queryKey(path, spec.name)
    case 'ip': {
      const ip = req.socket.remoteAddress
      return ip === undefined || ip === '' ? 0 : keyHash(ip)
    }
    case 'path': {
      const q = path.indexOf('?')
      return keyHash(path, 0, q < 0 ? path.length : q)
    }
  }
}

/** `lower` is lower-case; raw names may be in any case. */
function headerKey(raw: readonly string[], lower: string): number {
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]
    if (sameName(name, lower)) {
      const value = raw[i + 1]
      return trimmedKey(value, 0, value.length)
    }
  }
  return 0
}

/** RFC 6265 §5.4: `Cookie: a=1; b=2`, possibly in several fields; names are case-sensitive. */
function cookieKey(raw: readonly string[], cookie: string): number {
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]
    if (!sameName(name, 'cookie')) continue
    const key = pairValueKey(raw[i + 1], 0, cookie, ';')
    if (key !== 0) return key
  }
  return 0
}

function queryKey(path: string, parameter: string): number {
  const q = path.indexOf('?')
  return q < 0 ? 0 : pairValueKey(path, q + 1, parameter, '&')
}

/** The hash of NAME's value in `name=value<sep>name=value…` from `from`, or 0 when absent or empty. */
function pairValueKey(s: string, from: number, name: string, separator: string): number {
  let start = from
  while (start < s.length) {
    let end = s.indexOf(separator, start)
    if (end < 0) end = s.length
    let i = start
    while (i < end && s.charCodeAt(i) === 0x20) i++ // "; " between cookies
    if (end - i > name.length && s.charCodeAt(i + name.length) === 0x3d /* = */ && s.startsWith(name, i)) {
      return trimmedKey(s, i + name.length + 1, end)
    }
    start = end + 1
  }
  return 0
}

/** A raw header name equals the lower-case `lower`, ignoring ASCII case, without allocating a lower-cased copy. */
function sameName(raw: string, lower: string): boolean {
  if (raw.length !== lower.length) return false
  for (let i = 0; i < raw.length; i++) {
    let c = raw.charCodeAt(i)
    if (c >= 0x41 && c <= 0x5a) c += 0x20
    if (c !== lower.charCodeAt(i)) return false
  }
  return true
}

/** The key of s[start, end) without surrounding spaces and tabs; 0 when nothing is left. */
function trimmedKey(s: string, start: number, end: number): number {
  while (start < end && (s.charCodeAt(start) === 0x20 || s.charCodeAt(start) === 0x09)) start++
  while (end > start && (s.charCodeAt(end - 1) === 0x20 || s.charCodeAt(end - 1) === 0x09)) end--
  return start < end ? keyHash(s, start, end) : 0
}
