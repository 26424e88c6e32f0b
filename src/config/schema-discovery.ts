import { isIP } from 'node:net'
import { z } from 'zod'
import { duration } from './schema-units.js'

/**
 * An upstream's `discovery:` block: where its endpoints come from instead of a static `endpoints:` list.
 * Exactly one source (dns, srv or file; cross-checked in discovery-checks.ts). The sources themselves live
 * in src/discovery/; the built form is DiscoveryConfig (types.ts).
 */

/** Labels of letters, digits, "-" and "_" joined by dots, an optional final dot (RFC 1123, plus "_" for SRV). */
const DNS_NAME = /^[a-z0-9_-]+(\.[a-z0-9_-]+)*\.?$/i
/** RFC 2782: _service._proto.name. */
const SRV_NAME = /^_[a-z0-9-]+\._(tcp|udp)\.[a-z0-9_-]+(\.[a-z0-9_-]+)*\.?$/i

/** A DNS name to look up: what is wrong with it, or null. An IP address is refused: list it under endpoints. */
export function dnsNameProblem(name: string): string | null {
  if (isIP(name) !== 0) return `"${name}" is an IP address, not a name to resolve: list it under endpoints instead`
  if (name.length > 253 || !DNS_NAME.test(name)) return `invalid DNS name "${name}": expected a name like api.internal`
  return null
}

export function srvNameProblem(name: string): string | null {
  if (!SRV_NAME.test(name)) return `invalid SRV name "${name}": expected _service._proto.name, like _http._tcp.api.internal`
  return null
}

/**
 * A DNS server address as node:dns Resolver.setServers takes it: an IP address with an optional port
 * ("127.0.0.1", "127.0.0.1:5353", "::1", "[::1]:5353"). A host name is refused: it would need a resolver itself.
 */
export function resolverProblem(server: string): string | null {
  const bad = `invalid resolver "${server}": expected an IP address with an optional port, like 127.0.0.1:5353 or [::1]:53`
  if (isIP(server) !== 0) return null
  const match = /^(?:\[([0-9a-f:.]+)\]|(\d{1,3}(?:\.\d{1,3}){3})):(\d{1,5})$/i.exec(server)
  if (match === null) return bad
  const host = match[1] ?? match[2]
  if (isIP(host) !== (match[1] !== undefined ? 6 : 4)) return bad
  const port = Number(match[3])
  return port >= 1 && port <= 65535 ? null : `invalid resolver "${server}": the port must be between 1 and 65535`
}

function checked(base: z.ZodString, problem: (value: string) => string | null) {
  return base.superRefine((value, ctx) => {
    const message = problem(value)
    if (message !== null) ctx.addIssue({ code: 'custom', message })
  })
}

const endpointPort = z
  .number({ error: 'expected a port number' })
  .int({ error: 'expected a whole port number' })
  .min(1, { error: 'port must be between 1 and 65535' })
  .max(65535, { error: 'port must be between 1 and 65535' })

/** Which address records to ask for: A (4), AAAA (6) or both (any). */
const family = z.union([z.literal(4), z.literal(6), z.literal('any')], { error: 'family must be 4, 6 or any' }).default('any')
/** Scheme of the endpoint URLs built from the records (https verifies with the upstream's tls block). */
const scheme = z.enum(['http', 'https'], { error: 'scheme must be http or https' }).default('http')
const resolver = checked(z.string({ error: 'expected a DNS server address like 127.0.0.1:5353' }), resolverProblem).nullable().default(null)
/** Re-resolution period; a record's TTL shortens it (floor 1 s, discovery/schedule.ts). */
const interval = duration('10s', 1_000)

const dns = z.strictObject({
  name: checked(z.string({ error: 'expected a DNS name' }), dnsNameProblem),
  port: endpointPort,
  interval,
  family,
  resolver,
  scheme,
})

const srv = z.strictObject({
  name: checked(z.string({ error: 'expected an SRV name like _http._tcp.api.internal' }), srvNameProblem),
  interval,
  family,
  resolver,
  scheme,
})

const file = z.strictObject({
  path: z.string({ error: 'expected a file path' }).min(1, { error: 'path must not be empty' }),
  /** By the file's extension when absent: .json is JSON, anything else YAML. */
  format: z.enum(['json', 'yaml'], { error: 'format must be json or yaml' }).optional(),
  /** Poll period, beside fs.watch (which misses changes on some file systems and through some editors). */
  interval: duration('5s', 100),
})

export const discoverySchema = z
  .strictObject({ dns: dns.optional(), srv: srv.optional(), file: file.optional() }, { error: 'expected a mapping with one of dns, srv or file' })
  .optional()

export type RawDiscovery = NonNullable<z.output<typeof discoverySchema>>
