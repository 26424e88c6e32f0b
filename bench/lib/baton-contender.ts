import { catchAllRoute, DEFAULT_DEBUG, DEFAULT_VIA, defaultListener } from '../../src/config/build.js'
import { DEFAULT_HEALTH, DEFAULT_RETRY } from '../../src/config/build-health.js'
/**
 * Baton as a bench contender: the whole config written out (no YAML, no defaults applied elsewhere) so
 * the bench states exactly what it measured. Values are the documented defaults except where noted.
 */
import type { BatonConfig, PolicyConfig } from '../../src/config/types.js'
import { startBaton } from '../../src/index.js'

export async function startBatonContender(backendUrls: readonly string[], policy: PolicyConfig): Promise<string> {
  const handle = await startBaton(benchConfig(backendUrls, policy))
  const url = handle.listenerUrls[0]
  if (url === undefined) throw new Error('baton started without a listener')
  return url
}

function benchConfig(backendUrls: readonly string[], policy: PolicyConfig): BatonConfig {
  return {
    source: '<bench>',
    listeners: [defaultListener({ name: 'bench', port: 0 })],
    admin: null,
    // 'warn' and no access log: a log line per request would measure pino, not the proxy.
    logging: { level: 'warn', accessLog: false },
    shutdown: { drainTimeoutMs: 1_000 },
    via: DEFAULT_VIA,
    debug: DEFAULT_DEBUG,
    routes: [catchAllRoute('all', 'backend')],
    upstreams: [
      {
        name: 'backend',
        policy,
        endpoints: backendUrls.map((url) => ({ id: new URL(url).host, url, weight: 1 })),
        poolConnections: 128,
        connectTimeoutMs: 2_000,
        responseHeadersTimeoutMs: 30_000,
        bodyTimeoutMs: 30_000,
        idleTimeoutMs: 60_000,
        rewriteHost: false,
        retry: DEFAULT_RETRY,
        health: DEFAULT_HEALTH,
      },
    ],
    demo: null,
  }
}
