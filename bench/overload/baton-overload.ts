/**
 * Child-process entry: Baton for the overload bench, configured by YAML like a user would. argv: mode
 * (`on`: the shipped overload defaults; `off`: the adaptive limit off and every breaker out of reach, i.e.
 * Baton before admission control; `shed`: the defaults with maxRequests 1, so every request but one is shed:
 * the shed answer's cost), then the backend URLs. Reports [listener URL, admin URL].
 */
import { parseConfigText } from '../../src/config/load.js'
import { startBaton } from '../../src/index.js'
import { reportReady } from '../lib/ipc.js'

const FAR = 1_000_000

/** The `overload:` block of each mode; `on` has none: every key at its default. */
const OVERLOAD: Record<string, string[]> = {
  on: [],
  off: [
    '    overload:',
    '      concurrency: { enabled: false }',
    `      breakers: { maxConnections: ${FAR}, maxPending: ${FAR}, maxRequests: ${FAR}, maxRetries: ${FAR}, maxEndpointRequests: ${FAR} }`,
  ],
  shed: ['    overload:', '      breakers: { maxRequests: 1 }'],
}

export function overloadYaml(mode: string, backendUrls: readonly string[]): string {
  const overload = OVERLOAD[mode]
  if (overload === undefined) throw new Error(`unknown mode ${mode}: on, off or shed`)
  return [
    '# Baton overload bench: everything not named here is the shipped default.',
    'listeners:',
    '  - port: 0',
    "    trustedProxies: ['127.0.0.1']   # the load generator is the trusted front proxy naming each request's class",
    'admin:',
    '  port: 0            # polled once a second for the limit and queue',
    'logging:',
    '  level: warn',
    'upstreams:',
    '  - name: backend',
    '    endpoints:',
    ...backendUrls.map((url) => `      - ${url}`),
    ...overload,
    '',
  ].join('\n')
}

async function main(): Promise<void> {
  const [mode = 'on', ...backends] = process.argv.slice(2)
  const baton = await startBaton(parseConfigText(overloadYaml(mode, backends), '<bench>', process.env, '<bench>'))
  reportReady([baton.listenerUrls[0], baton.adminUrl ?? ''], mode)
}

await main()
