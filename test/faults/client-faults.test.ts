import t, { type Test } from 'tap'
import type { ClusterEndpoint } from '../../src/cluster/cluster-endpoint.js'
import { expectSettled } from '../helpers/exchange-checks.js'
import { startBackends, type FakeBackend } from '../helpers/fake-backend.js'
import { eventually } from '../helpers/harness.js'
import { retryConfig, sleep, startHealingRig, TOUCHY_HEALTH } from '../helpers/healing-rig.js'
import { abortMidUpload, send, type Received } from './fault-client.js'
import { LeakCheck } from '../helpers/leak-check.js'

// Issue 10, fault suite, client side: clients that leave mid-body, leave while waiting, leave mid-response,
// read slowly or upload slowly. None of it is the backend's fault (DESIGN.md, "a client abort is not the
// backend's fault"; hardening spec, blame rules): the endpoint's error count stays 0 and nothing is ejected,
// although outlier detection is as touchy as the schema allows (one gateway error or 5xx ejects; a 1 % failure
// rate over one request ejects, judged every 100 ms on the 1 s health tick). Each case then checks the
// endpoint still serves, and that nothing is left over once Baton and the backend are closed.

const touchy = TOUCHY_HEALTH

/**
 * A 500 ms per-try timeout, shorter than the slow upload below (a timer that counted the client's upload time
 * as the backend's would fire), and a 400 ms body timeout, shorter than the slow reader's pause (a timer that
 * counted the client's backpressure as the backend stalling would fire).
 */
const upstream = { overrides: { health: touchy, retry: retryConfig({ perTryTimeout: '500ms' }), bodyTimeoutMs: 400 } }

/** Far more than the loopback socket buffers of both hops hold, so a paused reader holds back the backend. */
const DOWNLOAD_BYTES = 64 * 1024 * 1024
const READER_PAUSE_MS = 1_200
/** Over the 64 KiB replay buffer: streamed to the backend as it arrives, in 16 KiB chunks 70 ms apart (~1.1 s). */
const SLOW_UPLOAD = { bytes: 256 * 1024, chunkBytes: 16 * 1024, gapMs: 70 }

/** What a case's client acts on. */
interface Scene {
  t: Test
  /** Baton's proxy URL. */
  url: string
  backend: FakeBackend
  endpoint: ClusterEndpoint
}

interface ClientFaultCase {
  name: string
  /** What the client does; resolves once it is done or gone, with what it saw if it stayed to see anything. */
  act: (scene: Scene) => Promise<Received | null>
  /** What the client saw, when it stayed to see something. */
  check?: (t: Test, r: Received) => void
  /** Whether the request reached the backend at all. */
  reached: boolean
  /** Whether the client left while the upstream request was in flight, so Baton must cut it (its connection closes). */
  cutsUpstream: boolean
}

const cases: ClientFaultCase[] = [
  {
    name: 'abort mid-body, body within the replay buffer (Baton was still reading it)',
    act: async ({ url }) => {
      await abortMidUpload(`${url}/echo`, 32 * 1024, 8 * 1024, () => false, 150)
      return null
    },
    reached: false,
    cutsUpstream: false,
  },
  {
    name: 'abort mid-body, streamed body (the backend was receiving it)',
    act: async ({ url, backend }) => {
      await abortMidUpload(`${url}/echo`, 1024 * 1024, 256 * 1024, () => backend.requests > 0)
      return null
    },
    reached: true,
    cutsUpstream: true,
  },
  {
    name: 'abort while waiting for the response head',
    act: ({ url, backend }) => send(`${url}/hang`, { leaveWhen: () => backend.requests > 0 }),
    check: (t, r) => t.equal(r.status, 0, 'the client left before any answer'),
    reached: true,
    cutsUpstream: true,
  },
  {
    name: 'abort mid-response',
    act: ({ url }) => send(`${url}/download/${DOWNLOAD_BYTES}`, { keepBody: false, onResponse: (res) => res.once('data', () => res.destroy()) }),
    check: (t, r) => t.match(r, { status: 200, complete: false }, 'the client left after the first chunk'),
    reached: true,
    cutsUpstream: true,
  },
  {
    name: `slow reader: stops reading for ${READER_PAUSE_MS} ms (3× the body timeout), then reads the rest`,
    act: async ({ t, url, endpoint }) => {
      let heldDuringPause = false
      const r = await send(`${url}/download/${DOWNLOAD_BYTES}`, {
        keepBody: false,
        onResponse: (res) => {
          res.pause()
          setTimeout(() => (heldDuringPause = endpoint.inflight === 1), READER_PAUSE_MS - 200)
          setTimeout(() => res.resume(), READER_PAUSE_MS)
        },
      })
      // More than loopback socket buffers hold: had Baton not held the upstream body back, it would have ended.
      t.ok(heldDuringPause, 'the upstream response was still in flight near the end of the pause: backpressure reached it')
      return r
    },
    check: (t, r) => {
      t.match(r, { status: 200, complete: true, error: null }, 'the whole response arrived')
      t.equal(r.bodyBytes, DOWNLOAD_BYTES, 'every byte of it')
    },
    reached: true,
    cutsUpstream: false,
  },
  {
    name: 'slow uploader: a streamed body over ~1.1 s (2× the per-try timeout)',
    act: ({ url }) => send(`${url}/echo`, { method: 'POST', upload: SLOW_UPLOAD }),
    check: (t, r) => {
      const text = r.body.toString('utf8')
      t.match(r, { status: 200, complete: true, headers: { 'x-backend': 'a' } }, `the backend's answer arrived (status ${r.status}: ${text.slice(0, 120)})`)
      t.match(r.status === 200 ? JSON.parse(text) : null, { bodyBytes: SLOW_UPLOAD.bytes }, 'after the whole body reached it')
    },
    reached: true,
    cutsUpstream: false,
  },
]

for (const c of cases) {
  t.test(`${c.name}: not the endpoint's fault`, async (t) => {
    const leaks = LeakCheck.baseline()
    const [backend] = await startBackends('a')
    const rig = await startHealingRig(t, [backend], upstream)
    const endpoint = rig.baton.clusters[0].endpoints[0]

    const seen = await c.act({ t, url: rig.url, backend, endpoint })
    if (c.check !== undefined && seen !== null) c.check(t, seen)
    await expectSettled(t, rig.baton)
    t.equal(backend.requests > 0, c.reached, c.reached ? 'the request reached the backend' : 'nothing reached the backend')
    if (c.cutsUpstream) t.ok(await eventually(() => backend.closedSockets > 0), 'Baton cut the upstream request: its connection closed')

    await sleep(1_100) // one health tick judges the interval rules (failure percentage, success rate)
    const counts = endpoint.stats.counts()
    t.equal(counts.errors, 0, `no error counted against the endpoint (${JSON.stringify(counts)})`)
    t.same(rig.baton.events.list(), [], 'no health event: nothing ejected, no panic')
    t.match(await send(`${rig.url}/`), { status: 200, headers: { 'x-backend': 'a' } }, 'the endpoint still serves')

    await rig.baton.close()
    await backend.stop()
    await leaks.expectNoLeaks(t)
  })
}
