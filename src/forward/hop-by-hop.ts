/**
 * Hop-by-hop header handling (RFC 9110 §7.6.1): these describe one connection, not the message,
 * so a proxy must not forward them, nor any header that the Connection header names.
 * Keep-Alive, Proxy-Connection, Upgrade and TE come from RFC 9110 §7.6.1 and RFC 7230 §6.1;
 * Transfer-Encoding and Trailer are re-framed by each hop. Names are lower-case.
 */
const ALWAYS_HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
])

/** True when `lowerName` must not cross this proxy. `named` holds the tokens of the Connection header. */
export function isHopByHop(lowerName: string, named: readonly string[] | null): boolean {
  if (ALWAYS_HOP_BY_HOP.has(lowerName)) return true
  return named !== null && named.includes(lowerName)
}

/**
 * The header names listed in every Connection header of a raw header list ([name, value, name, value…]),
 * lower-cased; null when there is no Connection header or it only says keep-alive/close (the common case,
 * which allocates nothing).
 */
export function connectionNamedHeaders(raw: readonly string[]): string[] | null {
  let named: string[] | null = null
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i].length !== 10 || raw[i].toLowerCase() !== 'connection') continue
    const tokens = raw[i + 1].split(',')
    for (let j = 0; j < tokens.length; j++) {
      const token = tokens[j].trim().toLowerCase()
      if (token === '' || token === 'close' || token === 'keep-alive') continue
      if (named === null) named = []
      named.push(token)
    }
  }
  return named
}
