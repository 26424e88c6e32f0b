import type { Test } from 'tap'
import { Cluster } from '../../src/cluster/cluster.js'
import type { BatonConfig, ListenerConfig } from '../../src/config/types.js'
import { routeTarget } from '../../src/forward/route-target.js'
import { EventLog } from '../../src/health/event-log.js'
import { Router } from '../../src/router/router.js'
import { DrainState } from '../../src/server/drain-state.js'
import { ProxyServer } from '../../src/server/proxy-server.js'
import { RequestHandler } from '../../src/server/request-handler.js'
import { systemClock } from '../../src/util/clock.js'
import { createLogger } from '../../src/util/logger.js'
import { mathRng } from '../../src/util/rng.js'

export interface ServerRig {
  server: ProxyServer
  clusters: Cluster[]
  url: string
}

/**
 * One ProxyServer built by hand from a test config (its first listener, or `listener`), for tests that call the
 * server's own methods (closeTunnels, updateTls) which the Baton handle does not expose. Torn down after the test.
 */
export async function startServerRig(t: Test, config: BatonConfig, listener: ListenerConfig = config.listeners[0]): Promise<ServerRig> {
  const deps = { clock: systemClock, wallClock: Date.now, rng: mathRng, events: new EventLog() }
  const clusters = config.upstreams.map((u) => new Cluster(u, deps))
  const byName = new Map(clusters.map((c) => [c.name, c]))
  const router = new Router(config.routes, (r) => routeTarget(r, byName.get(r.upstream)!))
  const handler = new RequestHandler(listener, {
    via: config.via,
    router,
    clock: systemClock,
    exchangeListener: null,
    decisions: null,
    drain: new DrainState(),
  })
  const server = new ProxyServer(listener, handler, createLogger('silent'))
  const url = await server.listen()
  t.teardown(async () => {
    await Promise.all([server.closeTunnels(0), server.drain(1_000)])
    await Promise.all(clusters.map((c) => c.close(100)))
  })
  return { server, clusters, url }
}
