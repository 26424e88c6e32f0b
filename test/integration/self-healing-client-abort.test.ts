import t from 'tap'
import { request } from 'undici'
import { eventually } from '../helpers/harness.js'
import { adminJson, sample, sleep, startHealingRig, TOUCHY_HEALTH, waitForEvent, type UpstreamsJson } from '../helpers/healing-rig.js'
import { startBackends } from '../helpers/fake-backend.js'

// Fault 9 of issue 4: clients that give up are not the backend's fault. Outlier detection is set as touchy as
// the schema allows (one gateway error or 5xx ejects; a 1% failure rate over one request ejects, evaluated
// every 100 ms, i.e. on every 1 s health tick), then many clients abort requests to a slow endpoint, both
// while waiting for headers and in the middle of the body. Nothing may be ejected. A last real failure
// shows the detector was armed all along.

const touchy = TOUCHY_HEALTH

/** Starts a GET and aborts it as soon as the first body chunk arrives. */
async function abandonMidBody(url: string): Promise<void> {
  const controller = new AbortController()
  try {
    const res = await request(url, { signal: controller.signal })
    for await (const _chunk of res.body) controller.abort()
  } catch {
    // the abort rejects the body: expected
  }
}

t.test('many client aborts to a slow endpoint never eject it', async (t) => {
  const backends = await startBackends('a')
  const rig = await startHealingRig(t, backends, { overrides: { health: touchy, responseHeadersTimeoutMs: 20_000 } })
  const a = backends[0]

  // 30 aborted while waiting for headers (the backend takes 5 s), 10 at a time.
  for (let round = 0; round < 3; round++) {
    const controllers = Array.from({ length: 10 }, () => new AbortController())
    const pending = controllers.map((c) => request(`${rig.url}/slow/5000`, { signal: c.signal }).catch(() => null))
    t.ok(await eventually(() => a.requests >= (round + 1) * 10, 5_000), `round ${round}: 10 requests reached the backend`)
    await sleep(50)
    for (const c of controllers) c.abort()
    await Promise.all(pending)
  }
  // 10 aborted mid-body: a 512 MiB download abandoned after its first chunk.
  await Promise.all(Array.from({ length: 10 }, () => abandonMidBody(`${rig.url}/download/${512 * 1024 * 1024}`)))

  const endpoint = rig.baton.clusters[0].endpoints[0]
  t.ok(await eventually(() => endpoint.inflight === 0, 5_000), 'every aborted exchange ended')
  // Let at least two health ticks (each evaluating the outlier interval) pass.
  await sleep(2_300)
  // Admission's limit following the (low) use is an upstream-wide event of its own, not a verdict on the endpoint.
  const verdicts = rig.baton.events.list().filter((e) => e.kind !== 'limit-changed')
  t.same(verdicts, [], 'no health event at all: nothing ejected, no panic')
  const [upstream] = await adminJson<UpstreamsJson[]>(rig, '/api/upstreams')
  const e = upstream.endpoints[0]
  t.match(e.health, { state: 'available', ejected: false, ejectionCount: 0 })
  t.equal(e.clientAborts, 30, 'the 30 abandoned before headers counted as client aborts')
  t.equal(e.byClass['2xx'], 10, 'the 10 abandoned mid-body had counted as 2xx responses, nothing more')
  t.equal(e.errors, 0, 'none counted as a backend error')
  t.match(await sample(`${rig.url}/`), { status: 200, backend: 'a' }, 'the endpoint still serves')

  // Control: one real gateway error ejects at once with these settings.
  await sample(`${rig.url}/reset`)
  t.ok(await waitForEvent(rig.baton, (ev) => ev.kind === 'ejected', 2_000), 'a real failure does eject: the detector was armed')
})
