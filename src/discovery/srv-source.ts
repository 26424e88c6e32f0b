import { isIP } from 'node:net'
import type { SrvRecord } from 'node:dns'
import type { SrvDiscoveryConfig } from '../config/types.js'
import { noRecords, resolveAddresses, shortestTtlMs, type AddressRecord, type DnsClient } from './dns-client.js'
import { addressEndpoint, clampWeight, mergeById } from './endpoint-set.js'
import type { Discovered, EndpointSource } from './source.js'

/**
 * discovery.srv: the SRV records of `_service._proto.name` (RFC 2782). Only the lowest priority is used (the
 * others are backups a client turns to only when none of those answers; here health checks and panic mode
 * take that role). Each target is resolved to its A/AAAA addresses; an endpoint per address and port, its
 * weight the record's weight shared among the target's addresses (rounded, clamped to 1..10000). A target
 * of "." (the service is decidedly not offered) is skipped, as is one with no address records; a target whose
 * look-up fails fails the whole read, so a passing resolver error never shrinks the set.
 * node:dns gives SRV records without their TTL: the refresh follows the interval and the targets' TTLs.
 */
export class SrvSource implements EndpointSource {
  constructor(
    private readonly config: SrvDiscoveryConfig,
    private readonly client: DnsClient,
  ) {}

  async read(): Promise<Discovered> {
    let records: SrvRecord[]
    try {
      records = await this.client.resolveSrv(this.config.name)
    } catch (err) {
      records = noRecords(err, `${this.config.name} SRV`)
    }
    const usable = records.filter((r) => r.name !== '' && r.name !== '.')
    const lowest = Math.min(...usable.map((r) => r.priority))
    const chosen = usable.filter((r) => r.priority === lowest)
    const targets = await Promise.all(chosen.map((r) => this.addressesOf(r.name)))
    const endpoints = chosen.flatMap((r, k) => {
      const addresses = targets[k]
      const share = r.weight / Math.max(1, addresses.length)
      return addresses.map((a) => addressEndpoint(this.config.scheme, a.address, r.port, clampWeight(share)))
    })
    return { endpoints: mergeById(endpoints), ttlMs: shortestTtlMs(targets.flat()) }
  }

  close(): void {
    this.client.cancel()
  }

  /** A target's addresses: itself when it is an IP literal, else its A/AAAA records. */
  private addressesOf(target: string): Promise<AddressRecord[]> {
    if (isIP(target) !== 0) return Promise.resolve([{ address: target, ttl: Infinity }])
    return resolveAddresses(this.client, target, this.config.family)
  }
}
