import { isDeepStrictEqual } from 'node:util'
import type { BatonConfig, DiscoveryConfig, UpstreamConfig } from '../config/types.js'
import type { Logger } from '../util/logger.js'
import { systemDnsClient } from './dns-client.js'
import { DnsSource } from './dns-source.js'
import { FileSource } from './file-source.js'
import { systemTimers, type Timers } from './schedule.js'
import type { EndpointSource } from './source.js'
import { SrvSource } from './srv-source.js'
import { UpstreamDiscovery, type DiscoverySink } from './upstream-discovery.js'

export interface DiscoveryManagerDeps {
  readonly sink: DiscoverySink
  readonly logger: Logger
  /** Default Node's timers (unref'd); tests pass manual ones. */
  readonly timers?: Timers
  /** Default: the real DNS, SRV and file sources; tests may pass fakes. */
  readonly createSource?: (config: DiscoveryConfig, timers: Timers) => EndpointSource
}

/** The source for a discovery block, each DNS-based one with a Resolver of its own. */
export function createSource(config: DiscoveryConfig, timers: Timers): EndpointSource {
  switch (config.kind) {
    case 'dns':
      return new DnsSource(config, systemDnsClient(config.resolver))
    case 'srv':
      return new SrvSource(config, systemDnsClient(config.resolver))
    case 'file':
      return new FileSource(config, timers)
  }
}

/**
 * The discovery loops of a running Baton, one per upstream with a `discovery:` block. update() makes them
 * match a config snapshot: a loop whose upstream keeps the same discovery block goes on (its timers, last
 * good set and failure state), one whose block changed is replaced, one whose upstream went (or no longer
 * discovers) stops. stop() ends them all (at shutdown).
 */
export class DiscoveryManager {
  private readonly loops = new Map<string, UpstreamDiscovery>()
  private readonly timers: Timers
  private readonly create: (config: DiscoveryConfig, timers: Timers) => EndpointSource

  constructor(private readonly deps: DiscoveryManagerDeps) {
    this.timers = deps.timers ?? systemTimers
    this.create = deps.createSource ?? createSource
  }

  /**
   * Starts, keeps, replaces and stops loops to match `upstreams`. Resolves when every loop it started has
   * handled its first read; the caller may wait for that (at start) or not (inside a reload, whose serialised
   * path that first read's apply waits behind).
   */
  update(upstreams: readonly UpstreamConfig[]): Promise<void> {
    const wanted = new Map(upstreams.filter((u) => u.discovery !== null).map((u) => [u.name, u]))
    for (const [name, loop] of this.loops) {
      const u = wanted.get(name)
      if (u !== undefined && isDeepStrictEqual(u.discovery, loop.config)) continue
      loop.stop()
      this.loops.delete(name)
    }
    const first: Promise<void>[] = []
    for (const [name, u] of wanted) {
      if (this.loops.has(name)) continue
      const source = this.create(u.discovery!, this.timers)
      const loop = new UpstreamDiscovery(name, u.discovery!, source, u.endpoints, { sink: this.deps.sink, logger: this.deps.logger, timers: this.timers })
      this.loops.set(name, loop)
      first.push(loop.start())
    }
    return Promise.all(first).then(() => undefined)
  }

  /** The loop of `upstream`, if it discovers (tests, introspection). */
  loop(upstream: string): UpstreamDiscovery | undefined {
    return this.loops.get(upstream)
  }

  stop(): void {
    for (const loop of this.loops.values()) loop.stop()
    this.loops.clear()
  }
}

/**
 * A reloaded config with each discovering upstream's endpoints taken from the running config: what its
 * source found last, or, when the upstream is new, none until its source answers. A reload re-reads the
 * file, where such an upstream lists no endpoint: without this every reload would take them all away until
 * the next answer. An upstream whose source changed keeps its current endpoints until the new source answers.
 */
export function withRunningEndpoints(next: BatonConfig, running: BatonConfig): BatonConfig {
  if (next.upstreams.every((u) => u.discovery === null)) return next
  const current = new Map(running.upstreams.map((u) => [u.name, u]))
  return { ...next, upstreams: next.upstreams.map((u) => (u.discovery === null ? u : { ...u, endpoints: current.get(u.name)?.endpoints ?? [] })) }
}
