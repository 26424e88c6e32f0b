/**
 * A Baton in a process of its own, for tests that measure the proxy alone (memory). Started with the
 * config as JSON in argv[2]; sends { url } once listening; answers 'peak-rss' with the highest RSS seen
 * since start (sampled every 10 ms), in bytes, and 'reset-peak' by starting over; exits on 'stop'.
 */
import { startBaton } from '../../src/index.js'
import type { BatonConfig } from '../../src/config/types.js'

const baton = await startBaton(JSON.parse(process.argv[2]) as BatonConfig)
let peak = process.memoryUsage().rss
const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10)
process.send!({ url: baton.listenerUrls[0] })
process.on('message', (message: string) => {
  if (message === 'reset-peak') peak = process.memoryUsage().rss
  if (message === 'peak-rss') process.send!({ peak })
  if (message === 'stop') {
    clearInterval(sampler)
    void baton.close().then(() => process.exit(0))
  }
})
