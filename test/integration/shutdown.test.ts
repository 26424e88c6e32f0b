import t from 'tap'
import { Agent, request } from 'undici'
import { startBaton } from '../../src/index.js'
import { testConfig } from '../helpers/baton-config.js'
import { startBackends } from '../helpers/fake-backend.js'
import { LeakCheck } from '../helpers/leak-check.js'

// What close() releases is counted, not assumed (test/helpers/leak-check.ts): the process's active handles by
// type (listening servers, sockets), its open fds and its timers (async_hooks, so unref'd ones such as Baton's
// tick count too). The baseline is taken after the backend started and the count is made after close(),
// before the backend stops: so whatever is left over is Baton's (its listener, admin server, pool connections,
// the backend's side of those connections, active checks, timers), and the backend's own shutdown cannot
// cut a connection Baton forgot to close.

t.test('close() lets in-flight requests finish, refuses new ones, and releases everything', async (t) => {
  const [backend] = await startBackends('a')
  t.teardown(() => backend.stop())
  const leaks = LeakCheck.baseline()
  const baton = await startBaton(testConfig([{ endpoints: [backend.url] }]))
  const url = baton.listenerUrls[0]
  const inflight = [request(`${url}/slow/400`), request(`${url}/slow/600`)]
  await new Promise((r) => setTimeout(r, 100))

  // The check can see what it is about: Baton's listener and admin server, and its connections, while it runs.
  const running = leaks.held()
  t.ok((running.TCPServerWrap ?? 0) >= 2, `while running: the listener and the admin server are counted (${JSON.stringify(running)})`)
  t.ok((running.TCPSocketWrap ?? 0) >= 2 && (running.fd ?? 0) >= 2, 'while running: connections and their fds are counted')
  t.ok(backend.sockets.size >= 2, `Baton holds connections to the backend (${backend.sockets.size})`)

  const closing = baton.close()
  await new Promise((r) => setTimeout(r, 50))
  const fresh = new Agent()
  await t.rejects(request(`${url}/`, { dispatcher: fresh }), 'new connections are refused while draining')
  await fresh.close()
  const answers = await Promise.all(inflight.map(async (p) => (await p).body.text()))
  t.same(answers, ['slow 400', 'slow 600'], 'in-flight requests completed')
  await closing
  t.pass('close resolved')

  await leaks.expectNoLeaks(t, 'after close(): no server, socket, timer or fd that Baton created remains')
  t.equal(backend.sockets.size, 0, "the backend has no connection left open: Baton's pool closed its connections")
})

t.test('close() cuts requests that outlive the drain timeout, and releases everything', async (t) => {
  const [backend] = await startBackends('a')
  t.teardown(() => backend.stop())
  const leaks = LeakCheck.baseline()
  const baton = await startBaton(testConfig([{ endpoints: [backend.url] }], { shutdown: { drainDelayMs: 0, drainTimeoutMs: 200, tunnelGraceMs: 200 } }))
  const outcome = request(`${baton.listenerUrls[0]}/hang`).then(
    () => 'answered',
    () => 'cut',
  )
  await new Promise((r) => setTimeout(r, 100))
  t.equal(backend.sockets.size, 1, 'the hanging request holds a connection to the backend')
  const started = Date.now()
  await baton.close()
  t.ok(Date.now() - started < 2_000, 'drain stopped at its timeout')
  t.equal(await outcome, 'cut', 'the hanging request was cut')

  await leaks.expectNoLeaks(t, 'after close() cut a request: no server, socket, timer or fd that Baton created remains')
  t.equal(backend.sockets.size, 0, "the hanging request's upstream connection was closed")
})
