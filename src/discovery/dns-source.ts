import type { DnsDiscoveryConfig } from '../config/types.js'
import { resolveAddresses, shortestTtlMs, type DnsClient } from './dns-client.js'
import { addressEndpoint, mergeById } from './endpoint-set.js'
import type { Discovered, EndpointSource } from './source.js'

/**
 * discovery.dns: the A and/or AAAA records of a name, one endpoint per address on the configured port
 * (weight 1). Re-read on the interval or the shortest TTL, whichever is sooner (schedule.ts).
 */
export class DnsSource implements EndpointSource {
  constructor(
    private readonly config: DnsDiscoveryConfig,
    private readonly client: DnsClient,
  ) {}

  async read(): Promise<Discovered> {
    const records = await resolveAddresses(this.client, this.config.name, this.config.family)
    const endpoints = records.map((r) => addressEndpoint(this.config.scheme, r.address, this.config.port, 1))
    return { endpoints: mergeById(endpoints).map((e) => ({ ...e, weight: 1 })), ttlMs: shortestTtlMs(records) }
  }

  close(): void {
    this.client.cancel()
  }
}
