import { createServer } from 'node:http'
import t, { type Test } from 'tap'
import type { ScalingWebhookConfig } from '../../../src/config/types.js'
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifyDelivery } from '../../../src/scaling/signature.js'
import { ScalingWebhook, type DeliveryResult, type RetryScheduler } from '../../../src/scaling/webhook.js'
import { TrackedServer } from '../../helpers/tracked-server.js'

const SECRET = 'f3c1a9e0b7d24c58a6e1f0b9c3d7e2a4'
/** A fixed wall clock: the signed timestamp is known. */
const NOW_MS = 1_790_000_000_000

interface Delivery {
  body: string
  timestamp: string
  signature: string
  verified: boolean
}

/** A real receiver on 127.0.0.1 answering each POST with the next status of `statuses` (the last one repeats). */
async function receiver(t: Test, statuses: number[]): Promise<{ url: string; deliveries: Delivery[] }> {
  const deliveries: Delivery[] = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8')
      const timestamp = String(req.headers[TIMESTAMP_HEADER])
      const signature = String(req.headers[SIGNATURE_HEADER])
      deliveries.push({ body, timestamp, signature, verified: verifyDelivery(SECRET, timestamp, body, signature, NOW_MS / 1_000) })
      res.statusCode = statuses[Math.min(deliveries.length - 1, statuses.length - 1)]
      res.end()
    })
  })
  const tracked = new TrackedServer(server)
  const port = await tracked.listen(0)
  t.teardown(() => tracked.close())
  return { url: `http://127.0.0.1:${port}/scale`, deliveries }
}

function config(url: string, overrides: Partial<ScalingWebhookConfig> = {}): ScalingWebhookConfig {
  return { url, secret: SECRET, timeoutMs: 2_000, attempts: 5, initialBackoffMs: 1_000, maxBackoffMs: 3_000, ...overrides }
}

/** Runs every retry after 1 ms, recording the delay the webhook asked for. */
function recordingScheduler(): RetryScheduler & { delays: number[] } {
  const delays: number[] = []
  return {
    delays,
    set: (run, delayMs) => {
      delays.push(delayMs)
      return setTimeout(run, 1)
    },
    clear: (handle) => clearTimeout(handle as NodeJS.Timeout),
  }
}

function resultPromise(): { promise: Promise<DeliveryResult>; onResult: (r: DeliveryResult) => void } {
  let onResult!: (r: DeliveryResult) => void
  const promise = new Promise<DeliveryResult>((resolve) => (onResult = resolve))
  return { promise, onResult }
}

t.test('a delivery is JSON signed over timestamp and body, and a receiver verifies it', async (t) => {
  const { url, deliveries } = await receiver(t, [200])
  const done = resultPromise()
  const hook = new ScalingWebhook(config(url), { wallClock: () => NOW_MS, onResult: done.onResult })
  hook.send({ upstream: 'api', recommendedEndpoints: 6 })
  t.same(await done.promise, { ok: true, attempts: 1, status: 200, error: null })
  t.equal(deliveries.length, 1)
  const d = deliveries[0]
  t.same(JSON.parse(d.body), { upstream: 'api', recommendedEndpoints: 6 })
  t.equal(d.timestamp, String(NOW_MS / 1_000))
  t.match(d.signature, /^sha256=[0-9a-f]{64}$/)
  t.ok(d.verified, 'the receiver verified the signature')
  t.notOk(verifyDelivery('another-secret-of-32-characters!', d.timestamp, d.body, d.signature, NOW_MS / 1_000), 'another key does not verify')
  t.notOk(verifyDelivery(SECRET, d.timestamp, d.body.replace('6', '9'), d.signature, NOW_MS / 1_000), 'a changed body does not verify')
  t.notOk(verifyDelivery(SECRET, d.timestamp, d.body, d.signature, NOW_MS / 1_000 + 301), 'a replay 5 minutes later is refused')
})

t.test('a receiver failing twice gets a third attempt after backoffs of 1 s and 2 s', async (t) => {
  const { url, deliveries } = await receiver(t, [503, 503, 200])
  const scheduler = recordingScheduler()
  const done = resultPromise()
  const hook = new ScalingWebhook(config(url), { wallClock: () => NOW_MS, scheduler, onResult: done.onResult })
  hook.send({ upstream: 'api', recommendedEndpoints: 3 })
  t.same(await done.promise, { ok: true, attempts: 3, status: 200, error: null })
  t.equal(deliveries.length, 3)
  t.ok(deliveries.every((d) => d.verified && d.body === deliveries[0].body), 'the same signed body each time')
  t.same(scheduler.delays, [1_000, 2_000])
})

t.test('the backoff doubles up to its cap and the attempts are bounded', async (t) => {
  const { url, deliveries } = await receiver(t, [500])
  const scheduler = recordingScheduler()
  const done = resultPromise()
  const hook = new ScalingWebhook(config(url), { wallClock: () => NOW_MS, scheduler, onResult: done.onResult })
  hook.send({ recommendedEndpoints: 2 })
  const result = await done.promise
  t.equal(result.ok, false)
  t.equal(result.attempts, 5)
  t.equal(deliveries.length, 5)
  t.same(scheduler.delays, [1_000, 2_000, 3_000, 3_000])
})

t.test('a 4xx other than 408 and 429 is not retried; no receiver at all is', async (t) => {
  const { url, deliveries } = await receiver(t, [400])
  const done = resultPromise()
  new ScalingWebhook(config(url), { wallClock: () => NOW_MS, scheduler: recordingScheduler(), onResult: done.onResult }).send({ recommendedEndpoints: 2 })
  t.match(await done.promise, { ok: false, attempts: 1, status: 400 })
  t.equal(deliveries.length, 1)

  const refused = resultPromise()
  const scheduler = recordingScheduler()
  // Port 1 on loopback: nothing listens there (a closed test port could be reused by another test meanwhile).
  new ScalingWebhook(config('http://127.0.0.1:1/scale', { attempts: 2 }), { wallClock: () => NOW_MS, scheduler, onResult: refused.onResult }).send({ recommendedEndpoints: 2 })
  const r = await refused.promise
  t.match(r, { ok: false, attempts: 2, status: 0 })
  t.type(r.error, 'string')
  t.same(scheduler.delays, [1_000])
})

t.test('a newer recommendation supersedes one still being retried', async (t) => {
  const { url, deliveries } = await receiver(t, [503, 200])
  let release!: () => void
  const held = new Promise<void>((resolve) => (release = resolve))
  const scheduler: RetryScheduler = {
    set: (run) => {
      void held.then(run)
      return null
    },
    clear: () => {},
  }
  const results: DeliveryResult[] = []
  const hook = new ScalingWebhook(config(url), { wallClock: () => NOW_MS, scheduler, onResult: (r) => results.push(r) })
  hook.send({ recommendedEndpoints: 4 })
  await new Promise((r) => setTimeout(r, 50))
  t.equal(deliveries.length, 1, 'the first attempt failed and waits for its retry')
  hook.send({ recommendedEndpoints: 5 })
  await new Promise((r) => setTimeout(r, 50))
  release()
  await new Promise((r) => setTimeout(r, 50))
  t.same(deliveries.map((d) => JSON.parse(d.body).recommendedEndpoints), [4, 5], 'the retry of 4 was dropped')
  t.same(results.map((r) => r.ok), [true])
})
