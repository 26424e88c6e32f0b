import { Pool } from 'undici'
import type { Endpoint } from '../balancer/types.js'
import type { EndpointConfig, UpstreamConfig } from '../config/types.js'
import { EndpointStats } from '../metrics/endpoint-stats.js'
import { upstreamTlsOptions } from './upstream-tls.js'

/**
 * One backend of one upstream: what the balancer sees (id, index, weight, in-flight), the undici pool that
 * carries its requests, and its statistics. Fixed shape. A config reload that keeps the endpoint (same
 * upstream, id, URL and pool settings) hands this same object to the new cluster, which gives it its new
 * position and weight: pool, connections and counters go on.
 */
export class ClusterEndpoint implements Endpoint {
  readonly id: string
  /** Set by the cluster that holds it (a reload may move it); only clusters write it. */
  index: number
  weight: number
  readonly url: string
  /** host:port, sent as Host when the upstream rewrites it. */
  readonly authority: string
  inflight = 0
  /** WebSocket tunnels open through this endpoint (each also counts in `inflight` while it lasts). */
  tunnels = 0
  readonly pool: Pool
  readonly stats: EndpointStats

  constructor(
    index: number,
    config: EndpointConfig,
    upstream: UpstreamConfig,
    startMs: number,
  ) {
    this.index = index
    this.id = config.id
    this.weight = config.weight
    this.url = config.url
    this.authority = new URL(config.url).host
    this.stats = new EndpointStats(startMs)
    this.pool = new Pool(config.url, {
      connections: upstream.poolConnections,
      pipelining: 1,
      connectTimeout: upstream.connectTimeoutMs,
      headersTimeout: upstream.responseHeadersTimeoutMs,
      bodyTimeout: upstream.bodyTimeoutMs,
      keepAliveTimeout: upstream.idleTimeoutMs,
      keepAliveMaxTimeout: upstream.idleTimeoutMs,
      // https:// endpoints: the server certificate is verified (the upstream's CA and name, else Node's defaults).
      connect: upstreamTlsOptions(upstream.tls),
    })
  }

  /** Lets in-flight requests finish for up to `graceMs`, then destroys what is left. */
  async close(graceMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined
    const graceOver = new Promise<false>((resolve) => {
      timer = setTimeout(resolve, graceMs, false)
    })
    const closed = await Promise.race([this.pool.close().then(() => true), graceOver])
    clearTimeout(timer)
    if (!closed) await this.pool.destroy()
  }
}
