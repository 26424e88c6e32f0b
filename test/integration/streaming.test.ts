import t, { type Test } from 'tap'
import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { Readable } from 'node:stream'
import { request } from 'undici'
import { defaultListener } from '../../src/config/build.js'
import { testConfig } from '../helpers/baton-config.js'
import { startBackends } from '../helpers/fake-backend.js'
import { startRig } from '../helpers/harness.js'

/** 256 MiB: buffering a body whole would need at least this much; a second or two on loopback. */
const BODY_BYTES = 256 * 1024 * 1024
/**
 * The proxy process's RSS may grow by half the body at most. Streaming plateaus well below that: read
 * buffers wait for the garbage collector, so growth levels off (measured: ~40 MiB after 100 MiB, ~76 MiB
 * after 400 MiB and still ~76 MiB after 1 GiB) instead of tracking the body size as buffering would.
 */
const RSS_BUDGET_BYTES = BODY_BYTES / 2

async function* repeatedChunk(total: number) {
  const chunk = Buffer.alloc(64 * 1024, 7)
  for (let sent = 0; sent < total; sent += chunk.length) yield chunk
}

interface ProxyProcess {
  url: string
  /** Highest RSS of the proxy process since the last call, minus its RSS then. */
  peakGrowth(): Promise<number>
}

/** Baton in its own process (test/helpers/proxy-process.ts), so RSS measures the proxy alone. */
async function startProxyProcess(t: Test, backendUrl: string): Promise<ProxyProcess> {
  // maxBodySize 0: the 256 MiB upload is over the 10 MiB default, which this test is not about.
  const config = testConfig([{ endpoints: [backendUrl] }], { admin: null, listeners: [defaultListener({ name: 'main', port: 0, maxBodyBytes: 0 })] })
  const child: ChildProcess = fork(fileURLToPath(new URL('../helpers/proxy-process.js', import.meta.url)), [JSON.stringify(config)])
  t.teardown(() => void child.send('stop'))
  const ask = <T>(message: string, key: string): Promise<T> =>
    new Promise((resolve) => {
      const onMessage = (m: Record<string, T>) => {
        if (key in m) {
          child.off('message', onMessage)
          resolve(m[key])
        }
      }
      child.on('message', onMessage)
      if (message !== '') child.send(message)
    })
  const url = await ask<string>('', 'url')
  let base = await ask<number>('peak-rss', 'peak')
  return {
    url,
    async peakGrowth() {
      const peak = await ask<number>('peak-rss', 'peak')
      const growth = peak - base
      child.send('reset-peak')
      base = await ask<number>('peak-rss', 'peak')
      return growth
    },
  }
}

t.test('256 MiB up and down stream through the proxy with bounded memory', async (t) => {
  const [backend] = await startBackends('a')
  t.teardown(() => backend.stop())
  const proxy = await startProxyProcess(t, backend.url)
  await (await request(`${proxy.url}/`)).body.text() // warm up: connections, JIT
  await proxy.peakGrowth()

  const upload = await request(`${proxy.url}/echo`, { method: 'POST', body: Readable.from(repeatedChunk(BODY_BYTES)) })
  t.equal(((await upload.body.json()) as { bodyBytes: number }).bodyBytes, BODY_BYTES, 'every uploaded byte arrived')
  const uploadGrowth = await proxy.peakGrowth()
  t.ok(uploadGrowth < RSS_BUDGET_BYTES, `proxy RSS grew ${(uploadGrowth / 1048576).toFixed(1)} MiB during the upload`)

  const download = await request(`${proxy.url}/download/${BODY_BYTES}`)
  let received = 0
  for await (const chunk of download.body) received += (chunk as Buffer).length
  t.equal(received, BODY_BYTES, 'every downloaded byte arrived')
  const downloadGrowth = await proxy.peakGrowth()
  t.ok(downloadGrowth < RSS_BUDGET_BYTES, `proxy RSS grew ${(downloadGrowth / 1048576).toFixed(1)} MiB during the download`)
})

t.test('a slow reader throttles the backend instead of filling the proxy', async (t) => {
  const { url, baton } = await startRig(t, ['a'])
  const res = await request(`${url}/download/${BODY_BYTES}`)
  // Read nothing for a while: with backpressure the transfer stalls within socket buffers.
  await new Promise((r) => setTimeout(r, 500))
  const before = process.memoryUsage().rss
  await new Promise((r) => setTimeout(r, 500))
  t.ok(process.memoryUsage().rss - before < 16 * 1024 * 1024, 'no growth while the client does not read')
  t.equal(baton.clusters[0].endpoints[0].inflight, 1, 'the exchange is still open')
  let received = 0
  for await (const chunk of res.body) received += (chunk as Buffer).length
  t.equal(received, BODY_BYTES)
})
