/**
 * The origin-form path to send upstream for a request-target (RFC 9112 §3.2), or null when it is invalid.
 * Origin-form ("/a?b") passes as is; absolute-form ("http://h/a?b", which a server must accept) loses its
 * scheme and authority; asterisk-form ("*") only goes with OPTIONS.
 */
export function upstreamPath(target: string | undefined, method: string | undefined): string | null {
  if (target === undefined || target.length === 0) return null
  if (target.charCodeAt(0) === 47 /* '/' */) return target
  if (target === '*') return method === 'OPTIONS' ? target : null
  const authorityStart = absoluteFormAuthorityStart(target)
  if (authorityStart < 0) return null
  for (let i = authorityStart; i < target.length; i++) {
    const c = target.charCodeAt(i)
    if (c === 47 /* '/' */) return target.slice(i)
    if (c === 63 /* '?' */) return `/${target.slice(i)}`
  }
  return '/'
}

/** Index just after "http://" or "https://" (case-insensitive), or -1. */
function absoluteFormAuthorityStart(target: string): number {
  const lower = target.slice(0, 8).toLowerCase()
  if (lower.startsWith('http://')) return 7
  if (lower.startsWith('https://')) return 8
  return -1
}
