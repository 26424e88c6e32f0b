import { catchAllRoute } from '../../src/config/build.js'
import type { BatonConfig, RouteConfig, UpstreamConfig } from '../../src/config/types.js'
import { startBaton, type BatonHandle } from '../../src/index.js'
import { testConfig } from '../helpers/baton-config.js'
import { deepMerge, type ConfigOverrides } from './case-file.js'

/** The one upstream every case's routes point at: the recording backend. */
const UPSTREAM = 'up0'

/**
 * One running Baton per distinct set of config overrides, started on first use and kept until closeAll():
 * a hundred cases share a handful of proxies instead of starting one each.
 */
export class BatonPool {
  private readonly running = new Map<string, Promise<{ baton: BatonHandle; port: number }>>()

  constructor(private readonly backendUrl: string) {}

  /** The listener port of the Baton for `overrides` (keyed by `key`, their JSON). */
  async port(key: string, overrides: ConfigOverrides): Promise<number> {
    let entry = this.running.get(key)
    if (entry === undefined) {
      entry = startBaton(this.config(overrides)).then((baton) => ({ baton, port: Number(new URL(baton.listenerUrls[0]).port) }))
      this.running.set(key, entry)
    }
    return (await entry).port
  }

  async closeAll(): Promise<void> {
    const all = [...this.running.values()]
    this.running.clear()
    await Promise.all(all.map(async (e) => (await e.catch(() => null))?.baton.close()))
  }

  /** testConfig() (every field at its default) with the case's overrides on top; no admin server. */
  config(overrides: ConfigOverrides): BatonConfig {
    const upstreamOverrides = (overrides.upstream ?? {}) as Partial<UpstreamConfig>
    const base = testConfig([{ name: UPSTREAM, endpoints: [this.backendUrl] }], { admin: null })
    const upstream = deepMerge(base.upstreams[0] as unknown as Record<string, unknown>, upstreamOverrides as Record<string, unknown>)
    return {
      ...base,
      listeners: [{ ...base.listeners[0], ...overrides.listener }],
      routes: overrides.routes === undefined ? base.routes : overrides.routes.map((r, i) => route(r, i)),
      upstreams: [upstream as unknown as UpstreamConfig],
      via: { ...base.via, ...overrides.via },
    }
  }
}

function route(r: Partial<RouteConfig>, i: number): RouteConfig {
  return { ...catchAllRoute(`route-${i}`, UPSTREAM), ...r, upstream: UPSTREAM }
}
