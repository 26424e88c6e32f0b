import type { DiscoveryConfig, EndpointConfig } from '../config/types.js'

/** What one read of a source found. */
export interface Discovered {
  /** The endpoints, in any order (the loop sorts them by id). */
  readonly endpoints: readonly EndpointConfig[]
  /** The shortest TTL among the records behind them, ms; null when the source has none (a file). */
  readonly ttlMs: number | null
}

/** Where an upstream's endpoints come from: DNS A/AAAA, SRV or a file. One object per upstream. */
export interface EndpointSource {
  /** Reads the source once. Rejects (with a DiscoveryError saying why) when it could not be read. */
  read(): Promise<Discovered>
  /** Calls `changed` whenever the source may have changed between reads (a file watch); optional. */
  watch?(changed: () => void): void
  /** Releases resolvers and watchers. A read under way may still settle: its result is ignored. */
  close(): void
}

/** A source could not be read: the resolver failed, the file is missing or broken. Its message says which. */
export class DiscoveryError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'DiscoveryError'
  }
}

/** The source in words, for logs and events: "dns api.internal:8080", "srv _http._tcp.api", "file /etc/x.yaml". */
export function describeSource(config: DiscoveryConfig): string {
  switch (config.kind) {
    case 'dns':
      return `dns ${config.name}:${config.port}${config.resolver === null ? '' : ` via ${config.resolver}`}`
    case 'srv':
      return `srv ${config.name}${config.resolver === null ? '' : ` via ${config.resolver}`}`
    case 'file':
      return `file ${config.path}`
  }
}
