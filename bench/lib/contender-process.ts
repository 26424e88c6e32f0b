/**
 * Child-process entry: runs one proxy contender alone in its process, as it would run in production.
 * argv[2] = proxy name (see proxies.ts), argv[3] = its ContenderContext as JSON (the other checkout's dist
 * folder for baton-base, the certificate files for the TLS contenders), argv[4..] = backend URLs. Reports its
 * URL over IPC, answers CPU-time questions (used only where the parent cannot read /proc), and serves until
 * the parent kills it.
 */
import { answerCpuRequests, reportReady } from './ipc.js'
import { PROXY_STARTERS, isProxyName, type ContenderContext } from './proxies.js'

async function main(): Promise<void> {
  const [name, context, ...backends] = process.argv.slice(2)
  if (name === undefined || !isProxyName(name)) throw new Error(`unknown proxy contender: ${String(name)}`)
  const started = await PROXY_STARTERS[name](backends, JSON.parse(context ?? '{}') as ContenderContext)
  answerCpuRequests()
  reportReady([started.url], started.note ?? undefined)
}

await main()
