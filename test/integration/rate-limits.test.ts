import t, { type Test } from 'tap'
import { Agent, request } from 'undici'
import { catchAllRoute, defaultListener } from '../../src/config/build.js'
import type { BatonConfig, RateLimitConfig } from '../../src/config/types.js'
import { startBaton } from '../../src/index.js'
import { testConfig } from '../helpers/baton-config.js'
import { startBackends } from '../helpers/fake-backend.js'
import { parsePrometheusText } from '../helpers/prometheus-text.js'
import { openClient, refusedHandshake, WsEchoBackend } from '../helpers/ws-backend.js'

// Rate limits through the real proxy: refusals are answered before any backend work, per client key.

/** 1 per minute: nothing refills within a test, so every count below is exact. */
const SLOW = 1 / 60

function limited(limit: Partial<RateLimitConfig>, backendUrl: string, trustedProxies: string[] = []): BatonConfig {
  const config = testConfig([{ name: 'api', endpoints: [backendUrl] }], { listeners: [defaultListener({ name: 'main', port: 0, trustedProxies })] })
  const rateLimit: RateLimitConfig = { ratePerSecond: SLOW, burst: 3, key: { source: 'ip', ipv4Prefix: 32, ipv6Prefix: 64 }, maxKeys: 1000, ...limit }
  return { ...config, routes: [{ ...catchAllRoute('api', 'api'), rateLimit }] }
}

async function start(t: Test, config: (backendUrl: string) => BatonConfig) {
  const [backend] = await startBackends('a')
  const baton = await startBaton(config(backend.url))
  t.teardown(async () => {
    await baton.close()
    await backend.stop()
  })
  return { baton, backend, url: baton.listenerUrls[0] }
}

/** GET through an agent bound to `localAddress` (127.0.0.x: all of 127/8 is loopback on Linux). */
async function from(agent: Agent, url: string, headers: Record<string, string> = {}) {
  const res = await request(url, { dispatcher: agent, headers })
  return { status: res.statusCode, headers: res.headers, body: await res.body.text() }
}

function agentAt(t: Test, localAddress: string): Agent {
  const agent = new Agent({ localAddress })
  t.teardown(() => agent.close())
  return agent
}

t.test('over its rate a client gets 429 BATON_RATE_LIMITED with Retry-After; the backend never sees the refused requests', async (t) => {
  const { baton, backend, url } = await start(t, (b) => limited({}, b))
  const agent = agentAt(t, '127.0.0.1')
  const statuses: number[] = []
  let refused: Awaited<ReturnType<typeof from>> | null = null
  for (let i = 0; i < 5; i++) {
    const res = await from(agent, `${url}/x`)
    statuses.push(res.status)
    if (res.status === 429) refused = res
  }
  t.same(statuses, [200, 200, 200, 429, 429], 'a burst of 3, then refusals')
  t.equal(backend.requests, 3, 'the backend saw the admitted ones only')
  t.equal(JSON.parse(refused!.body).error, 'BATON_RATE_LIMITED')
  t.equal(refused!.headers['retry-after'], '60', 'whole seconds until the next token (1/min), rounded up')
  t.equal(refused!.headers['ratelimit-policy'], '"baton";q=3;w=180')
  t.equal(refused!.headers.ratelimit, '"baton";r=0;t=60')
  const api = await request(`${baton.adminUrl}/api/ratelimits`)
  t.match(await api.body.json(), [{ route: 'api', rate: SLOW, burst: 3, key: 'ip/32/64', limited: 2, keys: 1, maxKeys: 1000 }])
  const metrics = parsePrometheusText(await (await request(`${baton.adminUrl}/metrics`)).body.text())
  t.match(metrics.get('baton_rate_limited_total'), { type: 'counter', samples: [{ labels: { route: 'api' }, value: 2 }] })
})

t.test('two client addresses are limited apart; under /24 they share a bucket', async (t) => {
  const { url } = await start(t, (b) => limited({ burst: 2 }, b))
  const one = agentAt(t, '127.0.0.1')
  const two = agentAt(t, '127.0.0.2')
  const seq = async (agent: Agent, n: number) => {
    const out: number[] = []
    for (let i = 0; i < n; i++) out.push((await from(agent, `${url}/`)).status)
    return out
  }
  t.same(await seq(one, 3), [200, 200, 429], '127.0.0.1: its own 2')
  t.same(await seq(two, 3), [200, 200, 429], '127.0.0.2: its own 2, untouched by the first')

  const shared = await start(t, (b) => limited({ burst: 2, key: { source: 'ip', ipv4Prefix: 24, ipv6Prefix: 64 } }, b))
  const a = await from(one, `${shared.url}/`)
  const b = await from(two, `${shared.url}/`)
  const c = await from(two, `${shared.url}/`)
  t.same([a.status, b.status, c.status], [200, 200, 429], 'one /24: one bucket of 2 for both')
})

t.test('behind a trusted proxy: keyed by header, or by the X-Forwarded-For client; an untrusted peer cannot choose its key', async (t) => {
  const { url, backend } = await start(t, (b) => limited({ burst: 1, key: { source: 'header', name: 'x-api-key', ipv4Prefix: 32, ipv6Prefix: 64 } }, b, ['127.0.0.1/32']))
  const proxy = agentAt(t, '127.0.0.1')
  const stranger = agentAt(t, '127.0.0.2')
  t.equal((await from(proxy, `${url}/`, { 'x-api-key': 'k1' })).status, 200)
  t.equal((await from(proxy, `${url}/`, { 'x-api-key': 'k1' })).status, 429, 'k1 used its one token')
  t.equal((await from(proxy, `${url}/`, { 'x-api-key': 'k2' })).status, 200, 'k2 is another bucket')
  t.equal((await from(proxy, `${url}/`, { 'x-forwarded-for': '198.51.100.9' })).status, 200, 'no key header: the forwarded client')
  t.equal((await from(proxy, `${url}/`, { 'x-forwarded-for': '203.0.113.1, 198.51.100.9' })).status, 429, 'the rightmost untrusted entry is the client: the same one')
  t.equal((await from(stranger, `${url}/`, { 'x-api-key': 'fresh-1' })).status, 200)
  t.equal((await from(stranger, `${url}/`, { 'x-api-key': 'fresh-2' })).status, 429, 'from an untrusted peer the header is ignored: keyed by its address')
  t.equal(backend.requests, 4)
})

t.test('a reload that changes the rate keeps the buckets; a route without rateLimit is not limited', async (t) => {
  const { baton, url, backend } = await start(t, (b) => limited({ burst: 1 }, b))
  const agent = agentAt(t, '127.0.0.1')
  t.equal((await from(agent, `${url}/`)).status, 200)
  t.equal((await from(agent, `${url}/`)).status, 429)
  const next = limited({ burst: 5, ratePerSecond: 2 / 60 }, backend.url)
  t.ok((await baton.reload(next)).ok)
  t.equal((await from(agent, `${url}/`)).status, 429, 'the emptied bucket stayed empty across the reload')
  const free = { ...next, routes: [catchAllRoute('api', 'api')] }
  t.ok((await baton.reload(free)).ok)
  for (let i = 0; i < 5; i++) t.equal((await from(agent, `${url}/`)).status, 200, `unlimited ${i}`)
})

t.test('a WebSocket handshake over the route\'s limit gets the same 429, and no tunnel is opened', async (t) => {
  const ws = await new WsEchoBackend().start()
  const config = limited({ burst: 1 }, ws.url)
  const baton = await startBaton(config)
  t.teardown(async () => {
    await baton.close()
    await ws.stop()
  })
  const url = baton.listenerUrls[0]
  const open = await openClient(url)
  open.close()
  const refused = await refusedHandshake(url)
  t.equal(refused.status, 429)
  t.equal(refused.headers['retry-after'], '60')
  t.equal(JSON.parse(refused.body).error, 'BATON_RATE_LIMITED')
  t.equal(ws.handshakes.length, 1, 'the backend saw the admitted handshake only')
})
