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
  'baton-round_robin': async (backends: readonly string[]) =>
    (await import('./baton-contender.js')).startBatonContender(backends, { name: 'round_robin' }),
  'baton-least_request': async (backends: readonly string[]) =>
    (await import('./baton-contender.js')).startBatonContender(backends, {
      name: 'least_request',
      choiceCount: 2,
      activeRequestBias: 1,
    }),
  'baton-adaptive': async (backends: readonly string[]) =>
    (await import('./baton-contender.js')).startBatonContender(backends, {
      name: 'adaptive',
      forgetting: 0.995,
      errorPenaltyMs: 1_000,
      refitIntervalMs: 1_000,
      stateDir: null,
      saveIntervalMs: 30_000,
    }),
} satisfies Record<string, (backends: readonly string[]) => Promise<string>>

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
