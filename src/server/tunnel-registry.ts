import type { UpgradeExchange, UpgradeOwner } from '../forward/upgrade-exchange.js'

/**
 * The WebSocket upgrades of one listener, from the handshake to the tunnel's close: counted against the
 * listener's maxTunnels, and closed on shutdown. Node's server no longer tracks an upgraded socket (it is off the
 * HTTP connection list, so closeAllConnections() misses it) but still counts it as a connection, so a server
 * with a tunnel open never finishes closing until the tunnel is closed here.
 */
export class TunnelRegistry implements UpgradeOwner {
  private readonly open = new Set<UpgradeExchange>()
  private closing = false
  /** close() calls waiting for the last upgrade to end. */
  private readonly waiters: (() => void)[] = []

  /** Upgrades in progress: handshakes waiting for the backend and open tunnels. */
  get size(): number {
    return this.open.size
  }

  /** Closing: new upgrades are refused. */
  get refusing(): boolean {
    return this.closing
  }

  add(exchange: UpgradeExchange): void {
    this.open.add(exchange)
  }

  onUpgradeEnd(exchange: UpgradeExchange): void {
    this.open.delete(exchange)
    if (this.closing && this.open.size === 0) this.settle()
  }

  /**
   * Refuses new upgrades from now on, lets the tunnels open go on for up to `graceMs` (their two ends may close
   * them: a backend going away, a client told by the application), then cuts the rest; handshakes still waiting
   * for a backend are answered 503 at once. Resolves when none is left. Baton forwards frames without parsing
   * them, so it cannot send a close frame of its own: a cut tunnel is a closed TCP connection to both ends.
   */
  close(graceMs: number): Promise<void> {
    this.closing = true
    for (const exchange of [...this.open]) if (exchange.phase === 'handshake') exchange.close()
    if (this.open.size === 0) return Promise.resolve()
    const deadline = setTimeout(() => this.cutAll(), Math.max(0, graceMs))
    return new Promise((resolve) => {
      this.waiters.push(() => {
        clearTimeout(deadline)
        resolve()
      })
    })
  }

  private cutAll(): void {
    for (const exchange of [...this.open]) exchange.close()
  }

  private settle(): void {
    for (const done of this.waiters.splice(0)) done()
  }
}
