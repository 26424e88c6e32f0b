import type { ConnectionOptions } from 'node:tls'
import { Client } from 'undici'

/**
 * One keep-alive undici Client per endpoint for Baton's own probes (active checks, recovery probes, model
 * probes), apart from the request pool so a probe never queues behind traffic nor counts in its connections.
 * A Client is made on first use (its constructor opens no connection: the first request does) and kept, so
 * the probes after the first pay no handshake the backend's requests do not pay.
 */
export class ProbeClients {
  private readonly clients: (Client | null)[]

  constructor(
    private readonly urls: readonly string[],
    /** How https:// endpoints are verified, as for the upstream's requests; undefined: Node's defaults. */
    private readonly tls: ConnectionOptions | undefined,
  ) {
    this.clients = urls.map(() => null)
  }

  /** Endpoint i's client, made on first use (pipelining 1: one probe at a time). */
  client(i: number): Client {
    let client = this.clients[i]
    if (client === null) {
      client = new Client(this.urls[i], { pipelining: 1, connect: this.tls })
      this.clients[i] = client
    }
    return client
  }

  /** Destroys every client made so far, failing what is in flight on them. */
  async destroy(): Promise<void> {
    const clients = this.clients.filter((c): c is Client => c !== null)
    this.clients.fill(null)
    await Promise.all(clients.map((c) => c.destroy()))
  }
}
