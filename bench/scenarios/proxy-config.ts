import { DEFAULT_DEBUG } from '../../src/config/build.js'
import { DEFAULT_HEALTH, DEFAULT_RETRY } from '../../src/config/build-health.js'
import type { BatonConfig, PolicyConfig } from '../../src/config/types.js'

/** Upstream response-headers timeout, ms: equal to the client's give-up time, so a hung backend costs 2 s, not 30. */
export const PROXY_RESPONSE_TIMEOUT_MS = 2_000

/**
 * The policy section for a --policies name. Options are Baton's documented defaults (src/config/types.ts),
 * written out because a config built in code gets no schema defaults.
 */
export function policyConfig(name: string): PolicyConfig {
  switch (name) {
    case 'least_request':
      return { name, choiceCount: 2, activeRequestBias: 1 }
    case 'peak_ewma':
      return { name, decayMs: 10_000, defaultRttMs: 30, failurePenaltyMs: 1_000 }
    case 'adaptive':
      return { name, forgetting: 0.995, errorPenaltyMs: 1_000, refitIntervalMs: 1_000, stateDir: null, saveIntervalMs: 30_000 }
    default:
      // Option-less policies (round_robin, random) and names Baton does not know: startBaton throws on those, and run.ts skips them.
      return { name } as PolicyConfig
  }
}

/** One listener on a free loopback port, no admin, quiet logs, every request to one upstream of `backendUrls`. */
export function proxyConfig(policy: PolicyConfig, backendUrls: readonly string[]): BatonConfig {
  return {
    source: '<bench/scenarios>',
    listeners: [
      // Baton's defaults, except port 0.
      { name: 'bench', address: '127.0.0.1', port: 0, headersTimeoutMs: 10_000, requestTimeoutMs: 300_000, keepAliveTimeoutMs: 5_000, maxHeaderBytes: 16_384 },
    ],
    admin: null,
    logging: { level: 'warn', accessLog: false },
    // Nothing outlives the proxy timeout, so 2 s drains everything.
    shutdown: { drainTimeoutMs: PROXY_RESPONSE_TIMEOUT_MS },
    debug: DEFAULT_DEBUG,
    routes: [{ name: 'all', host: null, pathPrefix: '/', upstream: 'backends' }],
    upstreams: [
      {
        name: 'backends',
        policy,
        endpoints: backendUrls.map((url) => ({ id: new URL(url).host, url, weight: 1 })),
        // Baton's defaults, except the two timeouts.
        poolConnections: 128,
        connectTimeoutMs: 2_000,
        responseHeadersTimeoutMs: PROXY_RESPONSE_TIMEOUT_MS,
        bodyTimeoutMs: PROXY_RESPONSE_TIMEOUT_MS,
        idleTimeoutMs: 60_000,
        rewriteHost: false,
        // Retries and outlier ejection as a user gets them by default: err % is what clients see after both.
        retry: DEFAULT_RETRY,
        health: DEFAULT_HEALTH,
      },
    ],
    demo: null,
  }
}
