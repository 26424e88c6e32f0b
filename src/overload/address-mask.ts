import { isIP } from 'node:net'

/** Prefix lengths that keep the whole address: the address is its own key. */
const FULL_V4 = 32
const FULL_V6 = 128

/**
 * A client address cut to its network prefix, as a rate-limit key: "10.1.2.0/24", "2001:db8:0:1::/64" (IPv6 in
 * 8 hextets, zero runs not compressed: the key is compared, never shown to a resolver), or the address itself
 * at /32 and /128. A dual-stack listener's "::ffff:a.b.c.d" counts as the IPv4 address. The last address and
 * its key are remembered: requests on a keep-alive connection (one peer) cost one string compare.
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
    let out = h[0].toString(16)
    for (let k = 1; k < 8; k++) out += `:${h[k].toString(16)}`
    return `${out}/${prefix}`
  }
}

function maskV4(address: string, prefix: number): string {
  const parts = address.split('.')
  let n = 0
  for (let k = 0; k < 4; k++) n = (n << 8) | Number(parts[k])
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0
  const masked = (n & mask) >>> 0
  return `${masked >>> 24}.${(masked >>> 16) & 255}.${(masked >>> 8) & 255}.${masked & 255}/${prefix}`
}

/** A valid IPv6 address (isIP said so; a zone id "%eth0" dropped, an embedded IPv4 tail read) into 8 hextets. */
function parseV6(address: string, out: Uint16Array): void {
  out.fill(0)
  const zone = address.indexOf('%')
  const text = zone < 0 ? address : address.slice(0, zone)
  const gap = text.indexOf('::')
  const head = gap < 0 ? text : text.slice(0, gap)
  const tail = gap < 0 ? '' : text.slice(gap + 2)
  const left = hextetsOf(head)
  const right = hextetsOf(tail)
  for (let k = 0; k < left.length; k++) out[k] = left[k]
  for (let k = 0; k < right.length; k++) out[8 - right.length + k] = right[k]
}

function hextetsOf(part: string): number[] {
  if (part === '') return []
  const out: number[] = []
  for (const group of part.split(':')) {
    if (group.includes('.')) {
      const [a, b, c, d] = group.split('.').map(Number)
      out.push((a << 8) | b, (c << 8) | d)
    } else {
      out.push(parseInt(group, 16))
    }
  }
  return out
}
