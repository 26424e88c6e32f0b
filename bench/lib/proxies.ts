import type { PolicyName } from '../../src/config/types.js'

/**
 * Every proxy the throughput bench can start, by the name printed in its table. Each starter takes the
 * backend URLs and resolves with the proxy's URL. Imports are dynamic so that a contender whose code does
 * not load (Baton mid-rewrite) fails alone, inside its own child process, and the baselines still run.
 */
export const PROXY_STARTERS = {
  'undici-minimal': async (backends: readonly string[]) =>
    (await import('../baselines/minimal-undici-proxy.js')).startMinimalUndiciProxy(first(backends)),
  'http-proxy': async (backends: readonly string[]) =>
    (await import('../baselines/http-proxy-baseline.js')).startHttpProxyBaseline(first(backends)),
  'baton-round_robin': baton('round_robin'),
  'baton-least_request': baton('least_request'),
  'baton-adaptive': baton('adaptive'),
} satisfies Record<string, (backends: readonly string[]) => Promise<string>>

/** Baton with `policy` at its default options. */
function baton(policy: PolicyName): (backends: readonly string[]) => Promise<string> {
  return async (backends) => {
    const [{ startBatonContender }, { defaultPolicy }] = await Promise.all([import('./baton-contender.js'), import('../../src/config/build.js')])
    return startBatonContender(backends, defaultPolicy(policy))
  }
}

export type ProxyName = keyof typeof PROXY_STARTERS

export function isProxyName(name: string): name is ProxyName {
  return Object.hasOwn(PROXY_STARTERS, name)
}

/** The baselines have one upstream each: the backend's first port. Baton gets all of them. */
function first(backends: readonly string[]): string {
  const url = backends[0]
  if (url === undefined) throw new Error('no backend URL')
  return url
}
