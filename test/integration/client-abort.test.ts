import t from 'tap'
import { request } from 'undici'
import { eventually, startRig } from '../helpers/harness.js'

t.test('a client abort while waiting for headers cancels the upstream request', async (t) => {
  const { url, backends, baton } = await startRig(t, ['a'])
  const controller = new AbortController()
  const pending = request(`${url}/hang`, { signal: controller.signal })
  t.ok(await eventually(() => backends[0].requests === 1), 'request reached the backend')
  controller.abort()
  await t.rejects(pending)
  // undici may open a fresh idle connection at once; what matters is that the aborted one closed.
  t.ok(await eventually(() => backends[0].closedSockets === 1), 'the aborted upstream connection closed')
  t.ok(backends[0].sockets.size <= 1, 'no connection leaked')
  const endpoint = baton.clusters[0].endpoints[0]
  t.ok(await eventually(() => endpoint.inflight === 0), 'in-flight count returns to 0')
  t.equal(endpoint.stats.snapshot(0).errors, 0, 'a client abort is not a backend error')
})

t.test('a client abort mid-download stops the backend transfer', async (t) => {
  const { url, backends, baton } = await startRig(t, ['a'])
  const controller = new AbortController()
  const res = await request(`${url}/download/${512 * 1024 * 1024}`, { signal: controller.signal })
  let received = 0
  await t.rejects(
    (async () => {
      for await (const chunk of res.body) {
        received += (chunk as Buffer).length
        if (received > 1024 * 1024) controller.abort()
      }
    })(),
  )
  t.ok(await eventually(() => backends[0].closedSockets === 1), 'the aborted upstream connection closed')
  t.ok(backends[0].sockets.size <= 1, 'no connection leaked')
  t.ok(await eventually(() => baton.clusters[0].endpoints[0].inflight === 0), 'in-flight back to 0')
})

t.test('after many aborts the proxy still serves normally and holds no dead connections', async (t) => {
  const { url, backends } = await startRig(t, ['a'])
  for (let i = 0; i < 20; i++) {
    const controller = new AbortController()
    const pending = request(`${url}/hang`, { signal: controller.signal }).catch(() => null)
    await eventually(() => backends[0].requests === i + 1)
    controller.abort()
    await pending
  }
  t.ok(await eventually(() => backends[0].closedSockets >= 20), 'every aborted upstream connection closed')
  const res = await request(`${url}/`)
  t.equal(await res.body.text(), 'ok from a')
  t.ok(backends[0].sockets.size <= 2, `open upstream connections: ${backends[0].sockets.size}`)
})
