/**
 * Child-process entry: runs one proxy contender alone in its process, as it would run in production.
 * argv[2] = proxy name (see proxies.ts), argv[3..] = backend URLs. Reports its URL over IPC and serves
 * until the parent kills it.
 */
import { reportReady } from './ipc.js'
import { PROXY_STARTERS, isProxyName } from './proxies.js'

async function main(): Promise<void> {
  const [name, ...backends] = process.argv.slice(2)
  if (name === undefined || !isProxyName(name)) throw new Error(`unknown proxy contender: ${String(name)}`)
  const url = await PROXY_STARTERS[name](backends)
  reportReady([url])
}

await main()
