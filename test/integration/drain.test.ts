import t from 'tap'
import { Agent, request } from 'undici'
import { startBaton } from '../../src/index.js'
import { testConfig } from '../helpers/baton-config.js'
import { startBackends } from '../helpers/fake-backend.js'

/**
 * SIGTERM (handle.close()) drains: for drainDelay Baton keeps serving while /healthz says 503 and every
 * response says Connection: close; then it stops accepting, lets what is in flight finish and exits.
 */
t.test('drainDelay keeps serving with Connection: close while /healthz answers 503; then the listener closes', async (t) => {
  const [backend] = await startBackends('a')
  t.teardown(() => backend.stop())
  const base = testConfig([{ endpoints: [backend.url] }])
  const baton = await startBaton({ ...base, shutdown: { ...base.shutdown, drainDelayMs: 600, drainTimeoutMs: 2_000 } })
  const url = baton.listenerUrls[0]
  const admin = baton.adminUrl!
  t.equal((await request(`${admin}/healthz`)).statusCode, 200, 'healthy before')
  const inflight = request(`${url}/slow/900`) // accepted before the signal, outlives the delay
  await new Promise((r) => setTimeout(r, 50))
  const closing = baton.close()
  await new Promise((r) => setTimeout(r, 100))
  const health = await request(`${admin}/healthz`)
  t.equal(health.statusCode, 503, '/healthz says 503 while draining')
  t.same(await health.body.json(), { status: 'draining' })
  const during = await request(`${url}/echo`, { dispatcher: new Agent() })
  await during.body.text()
  t.equal(during.statusCode, 200, 'still serving during the delay')
  t.equal(during.headers.connection, 'close', 'with Connection: close, so clients move on')
  await new Promise((r) => setTimeout(r, 700))
  const fresh = new Agent()
  await t.rejects(request(`${url}/echo`, { dispatcher: fresh }), 'after the delay new connections are refused')
  await fresh.close()
  const answer = await inflight
  t.equal(await answer.body.text(), 'slow 900', 'the request in flight since before the signal completed')
  await closing
})

t.test('a keep-alive client that reuses its connection during the drain gets an answer, never a reset', async (t) => {
  const [backend] = await startBackends('a')
  t.teardown(() => backend.stop())
  const base = testConfig([{ endpoints: [backend.url] }])
  const baton = await startBaton({ ...base, shutdown: { ...base.shutdown, drainDelayMs: 300, drainTimeoutMs: 2_000 } })
  const agent = new Agent({ connections: 1 })
  t.teardown(() => agent.close())
  const url = baton.listenerUrls[0]
  await (await request(`${url}/echo`, { dispatcher: agent })).body.text() // an idle keep-alive connection now
  const closing = baton.close()
  const statuses: number[] = []
  for (let k = 0; k < 3; k++) {
    const res = await request(`${url}/echo`, { dispatcher: agent })
    await res.body.text()
    statuses.push(res.statusCode)
  }
  t.same(statuses, [200, 200, 200], 'each request answered (the agent reconnects after each Connection: close)')
  await closing
})
