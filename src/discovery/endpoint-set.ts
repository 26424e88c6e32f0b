import { isIP } from 'node:net'
import type { EndpointConfig } from '../config/types.js'

/** Endpoint weights are whole numbers 1..10000, as in the config (an SRV weight may be 0 or up to 65535). */
export function clampWeight(weight: number): number {
  return Math.min(10_000, Math.max(1, Math.round(weight)))
}

/**
 * The endpoint for a discovered address: id "address:port" ("[v6]:port"), URL `scheme://address:port` reduced
 * to its origin as the config does (so a default port is left out of the URL, never out of the id).
 */
export function addressEndpoint(scheme: 'http' | 'https', address: string, port: number, weight: number): EndpointConfig {
  const host = isIP(address) === 6 ? `[${address}]` : address
  return { id: `${host}:${port}`, url: new URL(`${scheme}://${host}:${port}`).origin, weight: clampWeight(weight) }
}

/** Ordered by id: a stable order, so the same set always gives the same config (and the saved model matches). */
export function sortEndpoints(endpoints: readonly EndpointConfig[]): EndpointConfig[] {
  return [...endpoints].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
}

/** Same ids, URLs and weights in the same order (both sorted). */
export function sameEndpoints(a: readonly EndpointConfig[], b: readonly EndpointConfig[]): boolean {
  return a.length === b.length && a.every((e, i) => e.id === b[i].id && e.url === b[i].url && e.weight === b[i].weight)
}

/** Entries with the same id merged into one whose weight is their sum (clamped): two records naming one address. */
export function mergeById(endpoints: readonly EndpointConfig[]): EndpointConfig[] {
  const byId = new Map<string, EndpointConfig>()
  for (const e of endpoints) {
    const seen = byId.get(e.id)
    byId.set(e.id, seen === undefined ? e : { ...seen, weight: clampWeight(seen.weight + e.weight) })
  }
  return [...byId.values()]
}
