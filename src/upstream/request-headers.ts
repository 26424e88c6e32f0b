import { connectionNamedHeaders, isHopByHop } from './hop-by-hop.js'

/** The token this proxy adds to Via (RFC 9110 §7.6.3: received-protocol + pseudonym). */
export const VIA_TOKEN = '1.1 baton'

/**
 * The header list sent upstream, flat [name, value, …] as undici takes it.
 * Hop-by-hop headers go first; only then are X-Forwarded-For/-Proto/-Host and Via added,
 * so a client can neither remove them (by naming them in Connection) nor forge -Proto/-Host.
 * X-Forwarded-For and Via are appended to, as every proxy in the chain does.
 * `hostOverride` replaces Host (upstream `rewriteHost`); null keeps the client's.
 */
export function buildUpstreamHeaders(
  raw: readonly string[],
  clientIp: string,
  proto: string,
  hostOverride: string | null,
): string[] {
  const named = connectionNamedHeaders(raw)
  const out: string[] = []
  let forwardedFor: string | null = null
  let via: string | null = null
  let host: string | null = null
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]
    const value = raw[i + 1]
    const lower = name.toLowerCase()
    if (isHopByHop(lower, named)) continue
    switch (lower) {
      case 'x-forwarded-for':
        forwardedFor = forwardedFor === null ? value : `${forwardedFor}, ${value}`
        continue
      case 'via':
        via = via === null ? value : `${via}, ${value}`
        continue
      case 'x-forwarded-proto':
      case 'x-forwarded-host':
        continue // set by this proxy below, never trusted from the client
      case 'expect':
        continue // Node's server already answered 100-continue; undici rejects an Expect header
      case 'host':
        host = value
        if (hostOverride !== null) continue
    }
    out.push(name, value)
  }
  out.push('x-forwarded-for', forwardedFor === null ? clientIp : `${forwardedFor}, ${clientIp}`)
  out.push('x-forwarded-proto', proto)
  if (host !== null) out.push('x-forwarded-host', host)
  out.push('via', via === null ? VIA_TOKEN : `${via}, ${VIA_TOKEN}`)
  if (hostOverride !== null) out.push('host', hostOverride)
  return out
}
