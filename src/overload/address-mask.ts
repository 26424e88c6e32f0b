import { isIP } from 'node:net'

/** Prefix lengths that keep the whole address: the address is its own key. */
const FULL_V4 = 32
const FULL_V6 = 128

/**
 * A client address cut to its network prefix, as a rate-limit key. At /32 (IPv4) and /128 (IPv6) the key is
 * the address itself; under them it is the masked address packed into UTF-16 code units (2 for IPv4, 8 for
 * IPv6: one string, no formatting): the key is only compared, never shown, and the packed forms cannot equal
 * an address string (IPv6 under /128 ends in zero units). A dual-stack listener's "::ffff:a.b.c.d" counts as
 * the IPv4 address. The last address and its key are remembered: requests on a keep-alive connection (one
 * peer) cost one string compare.
 */
export class AddressMask {
  private lastAddress = ''
  private lastKey = ''
  private readonly hextets = new Uint16Array(8)

  constructor(
    readonly ipv4Prefix: number,
    readonly ipv6Prefix: number,
  ) {}

  key(address: string): string {
    if (address === this.lastAddress) return this.lastKey
    const key = this.compute(address)
    this.lastAddress = address
    this.lastKey = key
    return key
  }

  private compute(address: string): string {
    const v4 = address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address
    const family = isIP(v4)
    if (family === 4) return this.ipv4Prefix === FULL_V4 ? v4 : maskV4(v4, this.ipv4Prefix)
    if (family === 6) return this.ipv6Prefix === FULL_V6 ? address : this.maskV6(address)
    return address // not an address (a Unix socket's ''): its own key
  }

  private maskV6(address: string): string {
    const h = this.hextets
    parseV6(address, h)
    const prefix = this.ipv6Prefix
    for (let k = 0; k < 8; k++) {
      const keep = Math.min(16, Math.max(0, prefix - 16 * k))
      h[k] &= keep === 0 ? 0 : (0xffff << (16 - keep)) & 0xffff
    }
    return String.fromCharCode(h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7])
  }
}

/** A dotted quad (isIP said so) cut to `prefix` bits, packed in two code units; parsed by char codes. */
function maskV4(address: string, prefix: number): string {
  const n = v4Value(address, 0, address.length)
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0
  const masked = (n & mask) >>> 0
  return String.fromCharCode(masked >>> 16, masked & 0xffff)
}

/**
 * A valid IPv6 address (isIP said so; a zone id "%eth0" ignored) into 8 hextets, by char codes: groups
 * before "::" from the left, those after it moved to the right end. An embedded IPv4 tail ("64:ff9b::1.2.3.4")
 * becomes the last two hextets.
 */
function parseV6(address: string, out: Uint16Array): void {
  out.fill(0)
  let k = 0
  let gapAt = -1
  let value = 0
  let digits = 0
  let end = address.indexOf('%')
  if (end < 0) end = address.length
  for (let i = 0; i < end; i++) {
    const c = address.charCodeAt(i)
    if (c === 58) {
      if (digits > 0) out[k++] = value
      value = digits = 0
      if (address.charCodeAt(i + 1) === 58) {
        gapAt = k
        i++
      }
    } else if (c === 46) {
      // The group read so far was the first octet of a dotted tail: read the tail as IPv4.
      const tail = v4Value(address, i - digits, end)
      out[k++] = tail >>> 16
      out[k++] = tail & 0xffff
      digits = 0
      break
    } else {
      value = value * 16 + hexDigit(c)
      digits++
    }
  }
  if (digits > 0) out[k++] = value
  if (gapAt < 0 || k === 8) return
  const moved = k - gapAt
  for (let j = 0; j < moved; j++) {
    out[7 - j] = out[k - 1 - j]
    out[k - 1 - j] = 0
  }
}

/** The uint32 of the dotted quad in address[from, end). */
function v4Value(address: string, from: number, end: number): number {
  let n = 0
  let octet = 0
  for (let i = from; i < end; i++) {
    const c = address.charCodeAt(i)
    if (c === 46) {
      n = (n << 8) | octet
      octet = 0
    } else {
      octet = octet * 10 + c - 48
    }
  }
  return ((n << 8) | octet) >>> 0
}

function hexDigit(c: number): number {
  if (c <= 57) return c - 48 // 0-9
  return (c | 32) - 87 // a-f, A-F
}
