import { createSocket, type RemoteInfo, type Socket } from 'node:dgram'
import * as packet from 'dns-packet'

/** An A or AAAA answer: the address and its TTL, seconds. */
export interface AddressAnswer {
  address: string
  ttl: number
}

/** An SRV answer (RFC 2782) with its TTL, seconds. */
export interface SrvAnswer {
  priority: number
  weight: number
  port: number
  target: string
  ttl: number
}

const NXDOMAIN = 3
const SERVFAIL = 2

/**
 * A tiny authoritative DNS server over UDP on 127.0.0.1 (port 0: a free one) for discovery tests: it answers
 * A, AAAA and SRV questions from tables the test changes at will. A name in no table is NXDOMAIN; a name in
 * some table but not the one asked is NOERROR with no answer (NODATA); a name in `failing` is SERVFAIL.
 * stop() closes the socket, so queries are refused (the resolver is down) until start() again on the same port.
 */
export class TestDnsServer {
  readonly a = new Map<string, AddressAnswer[]>()
  readonly aaaa = new Map<string, AddressAnswer[]>()
  readonly srv = new Map<string, SrvAnswer[]>()
  readonly failing = new Set<string>()
  /** Every question received, as "TYPE name". */
  readonly queries: string[] = []
  port = 0
  private socket: Socket | null = null

  /** "127.0.0.1:port", as discovery's resolver option takes it. */
  get address(): string {
    return `127.0.0.1:${this.port}`
  }

  async start(port = this.port): Promise<this> {
    const socket = createSocket('udp4')
    socket.on('message', (msg, peer) => this.answer(socket, msg, peer))
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject)
      socket.bind(port, '127.0.0.1', () => {
        socket.off('error', reject)
        resolve()
      })
    })
    this.socket = socket
    this.port = socket.address().port
    return this
  }

  async stop(): Promise<void> {
    const socket = this.socket
    this.socket = null
    if (socket !== null) await new Promise<void>((resolve) => socket.close(() => resolve()))
  }

  /** How many questions of `type` for `name` arrived so far. */
  count(type: 'A' | 'AAAA' | 'SRV', name: string): number {
    return this.queries.filter((q) => q === `${type} ${name}`).length
  }

  private answer(socket: Socket, msg: Buffer, peer: RemoteInfo): void {
    let query: packet.Packet
    try {
      query = packet.decode(msg)
    } catch {
      return
    }
    const question = query.questions?.[0]
    if (question === undefined) return
    const name = question.name.toLowerCase()
    this.queries.push(`${question.type} ${name}`)
    const known = this.a.has(name) || this.aaaa.has(name) || this.srv.has(name)
    let rcode = known ? 0 : NXDOMAIN
    if (this.failing.has(name)) rcode = SERVFAIL
    const answers: packet.Answer[] = []
    if (rcode === 0 && question.type === 'A') for (const r of this.a.get(name) ?? []) answers.push({ type: 'A', name: question.name, ttl: r.ttl, data: r.address })
    if (rcode === 0 && question.type === 'AAAA') for (const r of this.aaaa.get(name) ?? []) answers.push({ type: 'AAAA', name: question.name, ttl: r.ttl, data: r.address })
    if (rcode === 0 && question.type === 'SRV') {
      for (const r of this.srv.get(name) ?? []) {
        answers.push({ type: 'SRV', name: question.name, ttl: r.ttl, data: { priority: r.priority, weight: r.weight, port: r.port, target: r.target } })
      }
    }
    const response = packet.encode({
      id: query.id,
      type: 'response',
      flags: packet.AUTHORITATIVE_ANSWER | packet.RECURSION_DESIRED | rcode,
      questions: [question],
      answers,
    })
    socket.send(response, peer.port, peer.address)
  }
}
