import { DEFAULT_ANOMALY } from '../../src/config/build-anomaly.js'
import { catchAllRoute, DEFAULT_DEBUG, DEFAULT_VIA, defaultListener } from '../../src/config/build.js'
import { NO_AUDIT } from '../../src/config/build-audit.js'
import { DEFAULT_HEALTH, DEFAULT_RETRY } from '../../src/config/build-health.js'
import { DEFAULT_RETRY_AFTER, DEFAULT_STORM } from '../../src/config/build-overload.js'
import type { BatonConfig, PolicyConfig, UpstreamConfig } from '../../src/config/types.js'

export interface TestUpstream {
  name?: string
  endpoints: string[]
  weights?: number[]
  policy?: PolicyConfig
  overrides?: Partial<UpstreamConfig>
}

/** A complete config for tests: one listener and an admin server on port 0, quiet logs, one route per upstream. */
export function testConfig(upstreams: TestUpstream[], overrides: Partial<BatonConfig> = {}): BatonConfig {
  const built = upstreams.map((u, i) => upstream(u, i))
  return {
    source: '<test>',
    listeners: [defaultListener({ name: 'main', port: 0 })],
    admin: { address: '127.0.0.1', port: 0, tokens: [], allowedHosts: [] },
    logging: { level: 'silent', accessLog: false },
    shutdown: { drainDelayMs: 0, drainTimeoutMs: 5_000, tunnelGraceMs: 1_000 },
    via: DEFAULT_VIA,
    debug: DEFAULT_DEBUG,
    anomaly: DEFAULT_ANOMALY,
    routes: built.map((u) => catchAllRoute(u.name, u.name)),
    upstreams: built,
    demo: null,
    audit: NO_AUDIT,
    ...overrides,
  }
}

function upstream(u: TestUpstream, i: number): UpstreamConfig {
  return {
    name: u.name ?? `up${i}`,
    policy: u.policy ?? { name: 'round_robin' },
    endpoints: u.endpoints.map((url, j) => ({ id: new URL(url).host, url, weight: u.weights?.[j] ?? 1 })),
    poolConnections: 64,
    connectTimeoutMs: 1_000,
    responseHeadersTimeoutMs: 5_000,
    bodyTimeoutMs: 5_000,
    idleTimeoutMs: 10_000,
    rewriteHost: false,
    tls: null,
    discovery: null,
    retry: DEFAULT_RETRY,
    health: DEFAULT_HEALTH,
    retryAfter: DEFAULT_RETRY_AFTER,
    storm: DEFAULT_STORM,
    ...u.overrides,
  }
}
