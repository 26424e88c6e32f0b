import { BlockList, isIP } from 'node:net'

/** 127.0.0.0/8 and ::1 (RFC 1122 §3.2.1.3, RFC 4291 §2.5.3); BlockList also matches their IPv4-mapped forms (::ffff:127.x). */
const LOOPBACK = new BlockList()
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4')
LOOPBACK.addAddress('::1', 'ipv6')

/**
 * True when only this machine can reach `address`: a loopback IP (bracketed IPv6 accepted) or "localhost",
 * which resolves to loopback only (RFC 6761 §6.3). Wildcards (0.0.0.0, ::) and every other name are false.
 */
export function isLoopbackAddress(address: string): boolean {
  const bare = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address
  if (bare.toLowerCase() === 'localhost') return true
  const family = isIP(bare)
  return family !== 0 && LOOPBACK.check(bare, family === 4 ? 'ipv4' : 'ipv6')
}

/** True for an IPv4 or IPv6 literal, bracketed or not. */
export function isIpLiteral(host: string): boolean {
  return isIP(host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host) !== 0
}
