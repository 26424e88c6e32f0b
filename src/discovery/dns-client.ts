import { Resolver } from 'node:dns/promises'
import type { RecordWithTtl, SrvRecord } from 'node:dns'
import { DiscoveryError } from './source.js'

/** Per try, ms; c-ares retries `QUERY_TRIES` times per server, so a dead resolver fails within seconds. */
const QUERY_TIMEOUT_MS = 2_000
const QUERY_TRIES = 2
/** Answers that mean "no such records" (NXDOMAIN, NODATA): an empty answer, not a failed look-up. */
const NO_RECORDS: ReadonlySet<string> = new Set(['ENODATA', 'ENOTFOUND'])

/** The part of node:dns's Resolver discovery uses (tests may pass a fake). */
export interface DnsClient {
  resolve4(name: string, options: { ttl: true }): Promise<RecordWithTtl[]>
  resolve6(name: string, options: { ttl: true }): Promise<RecordWithTtl[]>
  resolveSrv(name: string): Promise<SrvRecord[]>
  /** Cancels every query under way (they reject with ECANCELLED). */
  cancel(): void
}

/** A Resolver of its own (never the process-wide one), asking `server` ("ip" or "ip:port"), else the system's servers. */
export function systemDnsClient(server: string | null): DnsClient {
  const resolver = new Resolver({ timeout: QUERY_TIMEOUT_MS, tries: QUERY_TRIES })
  if (server !== null) resolver.setServers([server])
  return resolver
}

/** An address record's address and TTL, seconds. */
export interface AddressRecord {
  readonly address: string
  readonly ttl: number
}

/**
 * The A and/or AAAA records of `name`. No such records is an empty list; any other error (timeout, refused,
 * SERVFAIL) rejects with a DiscoveryError naming the name, the record type and the resolver's code.
 */
export async function resolveAddresses(client: DnsClient, name: string, family: 4 | 6 | 'any'): Promise<AddressRecord[]> {
  const asks: (4 | 6)[] = family === 'any' ? [4, 6] : [family]
  const answers = await Promise.all(asks.map((f) => lookup(client, name, f)))
  return answers.flat()
}

async function lookup(client: DnsClient, name: string, family: 4 | 6): Promise<AddressRecord[]> {
  try {
    return family === 4 ? await client.resolve4(name, { ttl: true }) : await client.resolve6(name, { ttl: true })
  } catch (err) {
    return noRecords(err, `${name} ${family === 4 ? 'A' : 'AAAA'}`)
  }
}

/** [] when `err` says the name has no such records; else a DiscoveryError for `what`. */
export function noRecords(err: unknown, what: string): never[] {
  const code = (err as NodeJS.ErrnoException).code
  if (code !== undefined && NO_RECORDS.has(code)) return []
  throw new DiscoveryError(`${what}: ${code ?? (err as Error).message}`)
}

/** The shortest TTL of `records`, ms; null for none. */
export function shortestTtlMs(records: readonly { ttl: number }[]): number | null {
  let min = Infinity
  for (const r of records) if (r.ttl < min) min = r.ttl
  return min === Infinity ? null : min * 1_000
}
