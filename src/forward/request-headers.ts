import { BlockList, isIP } from 'node:net'
import type { ListenerConfig, ViaConfig } from '../config/types.js'
import type { ProxyError } from '../util/errors.js'
import { connectionNamedHeaders, isHopByHop } from './hop-by-hop.js'
import { REJECTIONS } from './request-rejections.js'

/** The request header that asks for the balancer's decision (debug/decision-recorder.ts). */
export const DEBUG_REQUEST_HEADER = 'x-baton-debug'
/** A request's priority class (overload/priority.ts), honoured only from a trusted proxy (server/request-handler.ts). */
export const PRIORITY_REQUEST_HEADER = 'x-baton-priority'

/**
 * What the header pass learned of a request that the handler needs next: framing and the Host to route by.
 * Reused by one handler (requests never overlap on this thread while their head is screened), so Node's
 * lazily built `req.headers` object is never needed on the hot path.
 */
export class RequestHead {
  /** The Host header value, or null when absent. */
  host: string | null = null
  contentLength: string | null = null
  transferEncoding: string | null = null
  /** The value of x-baton-debug, or null. */
  debug: string | null = null
  /** The value of x-baton-priority, or null. */
  priority: string | null = null
}

/**
 * Builds the header list sent upstream, flat [name, value, …] as undici takes it, and refuses the requests
 * whose headers a backend could read otherwise than Baton did. Per listener (its header rules) and instance
 * (its Via pseudonym). In one pass over the raw headers:
 * - refuses more fields than maxHeadersCount (431: Node silently drops fields past its own count, framing
 *   headers included), a second Host (400), our own pseudonym in Via or more than maxHops entries (508), and
 *   names with "_" when the listener rejects them (else drops them, or keeps them when allowed);
 * - strips hop-by-hop headers and those named in Connection, except Host and Content-Length, which
 *   Connection can never nominate away (a backend must see the Host Baton routed by);
 * - adds X-Forwarded-For (appended, or replaced unless the peer is a trusted proxy), -Proto, -Host and Via
 *   last, so a client can neither remove them nor forge -Proto/-Host;
 * - puts Host last, so a rewrite (absolute-form target, upstream rewriteHost) overwrites one slot; an HTTP/1.0
 *   request without Host gets none here (the handler adds the endpoint's).
 */
export class UpstreamHeaderBuilder {
  /** This proxy's Via entry (RFC 9110 §7.6.3: received-protocol + pseudonym). */
  readonly viaEntry: string
  private readonly pseudonym: string
  private readonly maxHops: number
  private readonly maxFields: number
  private readonly underscores: ListenerConfig['underscoreHeaders']
  private readonly replaceForwardedFor: boolean
  /** null when no proxy is trusted. */
  private readonly trusted: BlockList | null
  /** The peer trusts() answered last, and its answer. */
  private lastPeer = ''
  private lastPeerTrusted = false

  constructor(
    listener: ListenerConfig,
    via: ViaConfig,
    /** "http" or "https": the listener's scheme, sent as X-Forwarded-Proto. */
    private readonly proto: string,
  ) {
    this.viaEntry = `1.1 ${via.pseudonym}`
    this.pseudonym = via.pseudonym.toLowerCase()
    this.maxHops = via.maxHops
    this.maxFields = listener.maxHeadersCount
    this.underscores = listener.underscoreHeaders
    this.replaceForwardedFor = listener.forwardedHeaders === 'replace'
    this.trusted = listener.trustedProxies.length === 0 ? null : trustedList(listener.trustedProxies)
  }

  /** The upstream header list, or why the request is refused; `head` is filled on the way. */
  build(raw: readonly string[], clientIp: string, head: RequestHead): string[] | ProxyError {
    head.host = head.contentLength = head.transferEncoding = head.debug = head.priority = null
    if (raw.length > 2 * this.maxFields) return REJECTIONS.tooManyHeaders
    const named = connectionNamedHeaders(raw)
    const keepForwardedFor = !this.replaceForwardedFor || this.trusts(clientIp)
    const out: string[] = []
    let forwardedFor: string | null = null
    let via: string | null = null
    let hops = 0
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i]
      const value = raw[i + 1]
      const lower = name.toLowerCase()
      switch (lower) {
        case 'host':
          if (head.host !== null) return REJECTIONS.duplicateHost
          head.host = value
          continue // pushed last
        case 'content-length':
          head.contentLength = value
          out.push(name, value)
          continue
        case 'transfer-encoding':
          head.transferEncoding = head.transferEncoding === null ? value : `${head.transferEncoding}, ${value}`
          continue // re-framed by this hop
        case 'via':
          // Checked before Connection can nominate it away: a loop is a loop whatever the client says.
          hops += countEntries(value)
          if (hops > this.maxHops) return REJECTIONS.tooManyHops
          if (this.namesUs(value)) return REJECTIONS.loop
          if (!isHopByHop(lower, named)) via = via === null ? value : `${via}, ${value}`
          continue
        case 'x-forwarded-for':
          if (keepForwardedFor && !isHopByHop(lower, named)) forwardedFor = forwardedFor === null ? value : `${forwardedFor}, ${value}`
          continue
        case 'x-forwarded-proto':
        case 'x-forwarded-host':
          continue // set by this proxy below, never trusted from the client
        case 'expect':
          continue // Node's server already answered 100-continue; undici rejects an Expect header
        case DEBUG_REQUEST_HEADER:
          head.debug = value
          break
        case PRIORITY_REQUEST_HEADER:
          head.priority = value
      }
      if (isHopByHop(lower, named)) continue
      if (name.indexOf('_') >= 0 && this.underscores !== 'allow') {
        if (this.underscores === 'reject') return REJECTIONS.underscoreHeader
        continue
      }
      out.push(name, value)
    }
    out.push('x-forwarded-for', forwardedFor === null ? clientIp : `${forwardedFor}, ${clientIp}`)
    out.push('x-forwarded-proto', this.proto)
    if (head.host !== null) out.push('x-forwarded-host', head.host)
    out.push('via', via === null ? this.viaEntry : `${via}, ${this.viaEntry}`)
    if (head.host !== null) out.push('host', head.host)
    return out
  }

  /**
   * An absolute-form target's authority stands for Host (RFC 9112 §3.2.2): both Host and X-Forwarded-Host
   * become it, in the slots build() put them in (…, x-forwarded-host, value, via, value, host, value).
   */
  replaceHost(headers: string[], authority: string): void {
    headers[headers.length - 1] = authority
    headers[headers.length - 5] = authority
  }

  /**
   * Whether `peer` is one of the listener's trustedProxies (their X-Forwarded-For and headers are believed).
   * The last answer is remembered: the peers in front are a few proxies, and BlockList.check costs ~1 µs.
   */
  trusts(peer: string): boolean {
    if (this.trusted === null) return false
    if (peer === this.lastPeer) return this.lastPeerTrusted
    this.lastPeerTrusted = this.checkTrusted(peer)
    this.lastPeer = peer
    return this.lastPeerTrusted
  }

  private checkTrusted(peer: string): boolean {
    const trusted = this.trusted!
    // A dual-stack listener reports IPv4 peers as ::ffff:a.b.c.d; IPv4 ranges must still match them.
    const ip = peer.startsWith('::ffff:') && isIP(peer.slice(7)) === 4 ? peer.slice(7) : peer
    const family = isIP(ip)
    return family !== 0 && trusted.check(ip, family === 4 ? 'ipv4' : 'ipv6')
  }

  /** Whether one of the Via entries in `value` was received by this pseudonym ("1.1 baton", "HTTP/1.1 baton (x)"). */
  private namesUs(value: string): boolean {
    const entries = value.split(',')
    for (let i = 0; i < entries.length; i++) {
      const parts = entries[i].trim().split(/[ \t]+/)
      if (parts.length >= 2 && parts[1].toLowerCase() === this.pseudonym) return true
    }
    return false
  }
}

/** Entries in one Via field value: comma-separated (comments with commas are rare enough to over-count). */
function countEntries(value: string): number {
  let n = 1
  for (let i = 0; i < value.length; i++) if (value.charCodeAt(i) === 44) n++
  return n
}

function trustedList(cidrs: readonly string[]): BlockList {
  const list = new BlockList()
  for (const cidr of cidrs) {
    const [address, prefix] = cidr.split('/')
    const type = isIP(address) === 4 ? 'ipv4' : 'ipv6'
    if (prefix === undefined) list.addAddress(address, type)
    else list.addSubnet(address, Number(prefix), type)
  }
  return list
}
