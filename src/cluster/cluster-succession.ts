import type { UpstreamConfig } from '../config/types.js'
import { ClusterEndpoint } from './cluster-endpoint.js'

/** What a rebuilt upstream takes over from the cluster it replaces. */
export interface Succession {
  /** The new cluster's endpoints in config order: carried-over objects where possible, else new ones. */
  readonly endpoints: ClusterEndpoint[]
  /** from[j]: endpoint j's index in the previous cluster (same id and URL: its learned state carries), −1 if new. */
  readonly from: Int32Array
  /** Endpoints handed over whole (pool and counters): the previous cluster must not close them. */
  readonly handedOver: ReadonlySet<ClusterEndpoint>
}

/** The pool settings a carried-over endpoint object must share with the new config to keep its pool. */
function samePool(a: UpstreamConfig, b: UpstreamConfig): boolean {
  return (
    a.poolConnections === b.poolConnections &&
    a.connectTimeoutMs === b.connectTimeoutMs &&
    a.responseHeadersTimeoutMs === b.responseHeadersTimeoutMs &&
    a.bodyTimeoutMs === b.bodyTimeoutMs &&
    a.idleTimeoutMs === b.idleTimeoutMs &&
    // A renewed CA bundle or another name to verify needs new connections: the pool's TLS options are fixed.
    a.tls?.ca === b.tls?.ca &&
    a.tls?.servername === b.tls?.servername &&
    a.tls?.rejectUnauthorized === b.tls?.rejectUnauthorized
  )
}

/**
 * Matches the new config's endpoints with the previous cluster's (none on a first start): an endpoint is
 * the same when its id and URL are. Its learned state (health, model) always carries; its object (pool,
 * statistics, in-flight count) carries when the pool settings did not change, else it starts a new pool.
 */
export function succeed(config: UpstreamConfig, previous: { readonly endpoints: readonly ClusterEndpoint[]; readonly config: UpstreamConfig } | null, startMs: number): Succession {
  const from = new Int32Array(config.endpoints.length).fill(-1)
  const handedOver = new Set<ClusterEndpoint>()
  const byKey = new Map((previous?.endpoints ?? []).map((e) => [`${e.id} ${e.url}`, e]))
  const keepPools = previous !== null && samePool(previous.config, config)
  const endpoints = config.endpoints.map((e, j) => {
    const old = byKey.get(`${e.id} ${e.url}`)
    if (old === undefined) return new ClusterEndpoint(j, e, config, startMs)
    from[j] = old.index
    if (!keepPools) return new ClusterEndpoint(j, e, config, startMs)
    handedOver.add(old)
    old.index = j
    old.weight = e.weight
    return old
  })
  return { endpoints, from, handedOver }
}
