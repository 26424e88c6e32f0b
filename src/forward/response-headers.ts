import { connectionNamedHeaders, isHopByHop } from './hop-by-hop.js'

/**
 * The header list sent to the client from undici's raw response headers (Buffers, [name, value, …]):
 * hop-by-hop headers removed, the backend's load report (`strip`, lower case, or null) removed, Via appended.
 * Bytes are decoded as latin1, as HTTP/1.1 field values are octets.
 */
export function buildClientHeaders(raw: readonly Buffer[], viaEntry: string, strip: string | null = null): string[] {
  const decoded = new Array<string>(raw.length)
  for (let i = 0; i < raw.length; i++) decoded[i] = raw[i].toString('latin1')
  const named = connectionNamedHeaders(decoded)
  const out: string[] = []
  let via: string | null = null
  for (let i = 0; i < decoded.length; i += 2) {
    const lower = decoded[i].toLowerCase()
    if (isHopByHop(lower, named) || lower === strip) continue
    if (lower === 'via') {
      via = via === null ? decoded[i + 1] : `${via}, ${decoded[i + 1]}`
      continue
    }
    out.push(decoded[i], decoded[i + 1])
  }
  out.push('via', via === null ? viaEntry : `${via}, ${viaEntry}`)
  return out
}
