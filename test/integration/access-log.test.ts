import t from 'tap'
import { request } from 'undici'
import { startBaton } from '../../src/index.js'
import { testConfig } from '../helpers/baton-config.js'
import { startBackends } from '../helpers/fake-backend.js'
import { captureLogger, sleep } from '../helpers/healing-rig.js'

t.test('one access line per request: route, upstream, the endpoint that answered, retries and hedges', async (t) => {
  const [a, b] = await startBackends('a', 'b')
  const capture = captureLogger()
  const config = testConfig([{ name: 'api', endpoints: [a.url, b.url] }], { logging: { level: 'info', accessLog: true } })
  const baton = await startBaton(config, { logger: capture.logger })
  t.teardown(async () => {
    await baton.close()
    await b.stop()
  })
  await a.stop() // refuses: the first GET tries a, then b
  for (const path of ['/one', '/two']) {
    const res = await request(`${baton.listenerUrls[0]}${path}`)
    await res.body.text()
  }
  await sleep(50) // pino writes asynchronously
  const lines = capture.lines().filter((l) => l.msg === 'access')
  t.equal(lines.length, 2)
  t.match(lines[0], { method: 'GET', url: '/one', status: 200, route: 'api', upstream: 'api', endpoint: new URL(b.url).host, retries: 1, hedges: 0, error: 'BATON_UPSTREAM_CONNECT' })
  t.match(lines[1], { url: '/two', status: 200, endpoint: new URL(b.url).host })
  t.equal(lines[1].retries === 1, lines[1].error === 'BATON_UPSTREAM_CONNECT', 'a retry logs the failure it followed, else none')
  t.type(lines[0].latencyMs, 'number')
})
