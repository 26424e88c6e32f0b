import type { PolicyName } from '../../src/config/types.js'
import type { TlsFiles } from './certificate.js'
import type { StartedProxy } from './started-proxy.js'

export type { StartedProxy } from './started-proxy.js'

/** What a contender may need besides its backends; the bench process passes it to every contender process. */
export interface ContenderContext {
  /** The other checkout's dist folder (--baseline-dist), which only baton-base reads; null without it. */
  readonly baselineDist: string | null
  /** The bench's throw-away certificate, which only the TLS contenders read; null when none of them runs. */
  readonly tls: TlsFiles | null
}

type Starter = (backends: readonly string[], context: ContenderContext) => Promise<StartedProxy>

/**
 * Every proxy the throughput bench can start, by the name printed in its table. Each starter takes the
 * backend URLs and the context, and resolves with the proxy's URL. Imports are dynamic so that a contender
 * whose code does not load (Baton mid-rewrite) fails alone, inside its own child process, and the baselines
 * still run.
 */
export const PROXY_STARTERS = {
  'undici-minimal': async (backends) =>
    plain((await import('../baselines/minimal-undici-proxy.js')).startMinimalUndiciProxy(first(backends))),
  'http-proxy': async (backends) => plain((await import('../baselines/http-proxy-baseline.js')).startHttpProxyBaseline(first(backends))),
  // Nothing but the shipped defaults (and the three settings the bench needs to run at all: see baton-contender.ts).
  'baton-defaults': baton(null),
  'baton-round_robin': baton('round_robin'),
  'baton-least_request': baton('least_request'),
  'baton-adaptive': baton('adaptive'),
  // The defaults but for the adaptive concurrency limit: baton-defaults ÷ this is what the limit costs.
  'baton-no-adaptive-limit': async (backends) => ({
    url: await (await import('./baton-contender.js')).startBatonContender(backends, null, null, false),
    note: null,
  }),
  // A TLS listener (the bench's certificate) in front of the same plain-HTTP backend: undici-minimal behind
  // node:https, and baton-defaults with `tls: { cert, key }` on its listener.
  'undici-minimal-tls': async (backends, { tls }) =>
    plain((await import('../baselines/minimal-undici-proxy.js')).startMinimalUndiciTlsProxy(first(backends), needTls(tls))),
  'baton-tls': async (backends, { tls }) => ({
    url: await (await import('./baton-contender.js')).startBatonContender(backends, null, needTls(tls)),
    note: null,
  }),
  // The Baton of another checkout (--baseline-dist), with baton-defaults' config: the "before" of a before/after.
  'baton-base': async (backends, { baselineDist }) => {
    if (baselineDist === null) throw new Error('baton-base needs --baseline-dist')
    return (await import('./baton-contender.js')).startBaseBaton(baselineDist, backends)
  },
} satisfies Record<string, Starter>

/** Baton with `policy` at its default options (null: no policy key, the default policy). */
function baton(policy: PolicyName | null): Starter {
  return async (backends) => ({ url: await (await import('./baton-contender.js')).startBatonContender(backends, policy), note: null })
}

export type ProxyName = keyof typeof PROXY_STARTERS

/** The contenders that listen with TLS: the bench makes a certificate when one of them is to run. */
export const TLS_PROXIES: readonly ProxyName[] = ['undici-minimal-tls', 'baton-tls']

export function isProxyName(name: string): name is ProxyName {
  return Object.hasOwn(PROXY_STARTERS, name)
}

async function plain(url: Promise<string>): Promise<StartedProxy> {
  return { url: await url, note: null }
}

/** The baselines have one upstream each: the backend's first port. Baton gets all of them. */
function first(backends: readonly string[]): string {
  const url = backends[0]
  if (url === undefined) throw new Error('no backend URL')
  return url
}

function needTls(tls: TlsFiles | null): TlsFiles {
  if (tls === null) throw new Error('a TLS contender started without the bench certificate')
  return tls
}
