/**
 * Baton as a bench contender, configured the way a user configures it: YAML through parseConfigText, so
 * every key the bench does not name takes the shipped default, including defaults added after this file
 * was written. The YAML names three settings, the only deviations from the defaults, each needed to run
 * inside the bench (see benchYaml); the policy contenders add `policy: <name>` (that policy at its
 * default options), baton-tls adds `tls: { cert, key }` to the listener. Baton's code is imported
 * dynamically: the current checkout's from ../../src, the baseline's from the folder given to
 * --baseline-dist, so a baton-base process loads only the old code.
 */
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { PolicyName } from '../../src/config/types.js'
import type { TlsFiles } from './certificate.js'
import type { StartedProxy } from './started-proxy.js'

/** How baton-base's ready note starts when the old code took baton-defaults' YAML; anything else is a fallback. */
export const BASE_SAME_CONFIG_NOTE = 'same config as baton-defaults'

/**
 * The config file of every Baton contender. `policy` null: no policy key (the default policy). `tls` (baton-tls):
 * the listener terminates TLS with that certificate, everything else as without it. `adaptiveLimit` false
 * (baton-no-adaptive-limit): the upstream's adaptive concurrency limit off, the breakers at their defaults.
 */
export function benchYaml(backendUrls: readonly string[], policy: PolicyName | null, tls: TlsFiles | null = null, adaptiveLimit = true): string {
  return [
    '# Baton throughput bench: everything not named here is the shipped default.',
    'listeners:',
    '  - port: 0          # deviation: a free port (the default 8080 may be taken; the bench runs several)',
    // Absolute paths, JSON-quoted (a valid YAML double-quoted scalar whatever the temp folder is called).
    ...(tls === null ? [] : [`    tls: { cert: ${JSON.stringify(tls.certFile)}, key: ${JSON.stringify(tls.keyFile)} }`]),
    'admin:',
    '  enabled: false     # deviation: no admin port 9901 to clash with (nothing polls it in the bench)',
    'logging:',
    '  level: warn        # deviation: no start-up or health info lines in the bench output (nothing per request is logged at info)',
    'upstreams:',
    '  - name: backend',
    ...(policy === null ? [] : [`    policy: ${policy}`]),
    ...(adaptiveLimit ? [] : ['    overload:', '      concurrency: { enabled: false }   # deviation (baton-no-adaptive-limit): what the limit costs is the difference to baton-defaults']),
    '    endpoints:',
    ...backendUrls.map((url) => `      - ${url}`),
    '',
  ].join('\n')
}

/** The current checkout's Baton with benchYaml(backendUrls, policy, tls, adaptiveLimit); resolves with its listener URL (https:// with tls). */
export async function startBatonContender(backendUrls: readonly string[], policy: PolicyName | null, tls: TlsFiles | null = null, adaptiveLimit = true): Promise<string> {
  const [{ parseConfigText }, { startBaton }] = await Promise.all([import('../../src/config/load.js'), import('../../src/index.js')])
  return listenerUrl(await startBaton(parseConfigText(benchYaml(backendUrls, policy, tls, adaptiveLimit), '<bench>', process.env, '<bench>')))
}

type ParseConfigText = (text: string, file: string, env?: NodeJS.ProcessEnv, source?: string) => unknown
type StartBaton = (config: unknown) => Promise<{ listenerUrls: readonly string[] }>

/**
 * The Baton built in another checkout (`distDir` = its dist folder), loaded from distDir/src/index.js, with
 * baton-defaults' YAML parsed by that checkout's own parseConfigText. Should the old code lack it or reject
 * the YAML, it falls back to the old bench's own round_robin config (distDir/bench/lib/baton-contender.js,
 * built in code the old way); the note says which, so the report compares like with like.
 */
export async function startBaseBaton(distDir: string, backendUrls: readonly string[]): Promise<StartedProxy> {
  const index = (await import(fileUrl(distDir, 'src/index.js'))) as { startBaton?: StartBaton; parseConfigText?: ParseConfigText }
  const startBaton = index.startBaton
  if (typeof startBaton !== 'function') throw new Error(`${distDir}/src/index.js exports no startBaton`)
  let yamlProblem: string
  try {
    const parse = index.parseConfigText ?? ((await import(fileUrl(distDir, 'src/config/load.js'))) as { parseConfigText: ParseConfigText }).parseConfigText
    const config = parse(benchYaml(backendUrls, null), '<bench>', process.env, '<bench>')
    return { url: listenerUrl(await startBaton(config)), note: `${BASE_SAME_CONFIG_NOTE} (its own parseConfigText)` }
  } catch (err) {
    yamlProblem = (err as Error).message.split('\n')[0] ?? 'unknown'
  }
  try {
    const [{ startBatonContender }, { defaultPolicy }] = (await Promise.all([
      import(fileUrl(distDir, 'bench/lib/baton-contender.js')),
      import(fileUrl(distDir, 'src/config/build.js')),
    ])) as [{ startBatonContender: (urls: readonly string[], policy: unknown) => Promise<string> }, { defaultPolicy: (name: string) => unknown }]
    const url = await startBatonContender(backendUrls, defaultPolicy('round_robin'))
    return { url, note: `fallback: the old bench's own round_robin config (the YAML did not load: ${yamlProblem})` }
  } catch (err) {
    throw new Error(`baton-base: YAML config failed (${yamlProblem}), old bench config failed (${(err as Error).message.split('\n')[0]})`)
  }
}

function listenerUrl(handle: { listenerUrls: readonly string[] }): string {
  const url = handle.listenerUrls[0]
  if (url === undefined) throw new Error('baton started without a listener')
  return url
}

function fileUrl(dir: string, file: string): string {
  return pathToFileURL(resolve(dir, file)).href
}
