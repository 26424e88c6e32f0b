import t from 'tap'
import { Agent, request } from 'undici'
import { startBaton } from '../../src/index.js'
import { testConfig } from '../helpers/baton-config.js'
import { startBackends } from '../helpers/fake-backend.js'

t.test('close() lets in-flight requests finish, refuses new ones, and releases everything', async (t) => {
  const [backend] = await startBackends('a')
  t.teardown(() => backend.stop())
  const baton = await startBaton(testConfig([{ endpoints: [backend.url] }]))
  const url = baton.listenerUrls[0]
  const inflight = [request(`${url}/slow/400`), request(`${url}/slow/600`)]
  await new Promise((r) => setTimeout(r, 100))
  const closing = baton.close()
  await new Promise((r) => setTimeout(r, 50))
  const fresh = new Agent()
  await t.rejects(request(`${url}/`, { dispatcher: fresh }), 'new connections are refused while draining')
  await fresh.close()
  const answers = await Promise.all(inflight.map(async (p) => (await p).body.text()))
  t.same(answers, ['slow 400', 'slow 600'], 'in-flight requests completed')
  await closing
  t.pass('close resolved')
})

t.test('close() cuts requests that outlive the drain timeout', async (t) => {
  const [backend] = await startBackends('a')
  t.teardown(() => backend.stop())
  const baton = await startBaton(testConfig([{ endpoints: [backend.url] }], { shutdown: { drainTimeoutMs: 200 } }))
  const outcome = request(`${baton.listenerUrls[0]}/hang`).then(
    () => 'answered',
    () => 'cut',
  )
  await new Promise((r) => setTimeout(r, 100))
  const started = Date.now()
  await baton.close()
  t.ok(Date.now() - started < 2_000, 'drain stopped at its timeout')
  t.equal(await outcome, 'cut', 'the hanging request was cut')
})
