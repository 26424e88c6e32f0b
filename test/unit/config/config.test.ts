import t from 'tap'
import { isAbsolute, join, relative, resolve } from 'node:path'
import { DEFAULT_ANOMALY } from '../../../src/config/build-anomaly.js'
import { DEFAULT_HEALTH, DEFAULT_RETRY } from '../../../src/config/build-health.js'
import { DEFAULT_RETRY_AFTER, DEFAULT_STORM } from '../../../src/config/build-overload.js'
import { DEFAULT_SCALING } from '../../../src/config/build-scaling.js'
import { DEFAULT_OVERLOAD } from '../../../src/config/build-admission.js'
import { loadConfigFile, parseConfigText } from '../../../src/config/load.js'

/** A valid single-upstream config, with `extra` appended inside the upstream. */
const base = (extra = '') => `upstreams:\n  - name: api\n    endpoints:\n      - url: http://127.0.0.1:3001\n${extra}`

t.test('defaults fill every field', async (t) => {
  const config = parseConfigText(base(), 'x.yaml', {})
  t.same(config.listeners, [
    {
      name: 'listener-0',
      address: '127.0.0.1',
      port: 8080,
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 300_000,
      keepAliveTimeoutMs: 5_000,
      maxHeaderBytes: 16_384,
      maxHeadersCount: 100,
      maxBodyBytes: 10 * 1024 * 1024,
      underscoreHeaders: 'drop',
      forwardedHeaders: 'append',
      trustedProxies: [],
      mergeSlashes: true,
      encodedSlashes: 'keep',
      maxTunnels: 1024,
      tls: null,
    },
  ])
  t.same(config.via, { pseudonym: 'baton', maxHops: 10 })
  t.same(config.admin, { address: '127.0.0.1', port: 9901, tokens: [], allowedHosts: [] })
  t.same(config.logging, { level: 'info', accessLog: false })
  t.same(config.shutdown, { drainDelayMs: 0, drainTimeoutMs: 30_000, tunnelGraceMs: 5_000 })
  t.same(config.routes, [{ name: 'default', host: null, pathPrefix: '/', upstream: 'api', retryNonIdempotent: null, maxBodyBytes: null, allowTrace: false, rateLimit: null }])
  t.same(config.upstreams[0], {
    name: 'api',
    policy: { name: 'adaptive', forgetting: 0.995, errorPenaltyMs: 1_000, refitIntervalMs: 1_000, stateDir: null, saveIntervalMs: 30_000, explorationFraction: 0.005, probeIntervalMs: 1_000, probePath: '/' },
    endpoints: [{ id: '127.0.0.1:3001', url: 'http://127.0.0.1:3001', weight: 1 }],
    discovery: null,
    poolConnections: 128,
    connectTimeoutMs: 2_000,
    responseHeadersTimeoutMs: 30_000,
    bodyTimeoutMs: 30_000,
    idleTimeoutMs: 60_000,
    rewriteHost: false,
    tls: null,
    retry: DEFAULT_RETRY,
    health: DEFAULT_HEALTH,
    retryAfter: DEFAULT_RETRY_AFTER,
    storm: DEFAULT_STORM,
    scaling: DEFAULT_SCALING,
    loadReport: null,
    overload: DEFAULT_OVERLOAD,
  })
  t.same(DEFAULT_RETRY, { maxRetries: 2, retryOnStatus: [500, 502, 503, 504], retryNonIdempotent: false, replayBufferBytes: 65_536, budgetFraction: 0.2, budgetMinConcurrent: 3, perTryTimeoutMs: 0, overallTimeoutMs: 0, hedge: { enabled: true, delayMs: 'tail', minDelayMs: 5, tailFactor: 4, tailFloorMs: 50 } })
  t.equal(DEFAULT_HEALTH.active, null, 'active checks are opt-in')
  t.same(DEFAULT_HEALTH.slowStart, { mode: 'observed', responses: 20, windowMs: 30_000, aggression: 1, minFraction: 0.1 })
  t.same([DEFAULT_HEALTH.panicThreshold, DEFAULT_HEALTH.outlier.maxEjectionFraction, DEFAULT_HEALTH.outlier.consecutive5xx], [0.5, 0.1, 5])
  t.equal(config.demo, null)
})

t.test('environment substitution keeps types and positions', async (t) => {
  const text = `listeners:\n  - port: \${PORT}\n    address: "\${ADDR:-127.0.0.2}"\nadmin:\n  enabled: \${ADMIN:-false}\n${base()}`
  const config = parseConfigText(text, 'x.yaml', { PORT: '8181' })
  t.equal(config.listeners[0].port, 8181, 'unquoted number from the environment is a number')
  t.equal(config.listeners[0].address, '127.0.0.2', 'default used when unset')
  t.equal(config.admin, null, 'boolean from a default')
  t.throws(() => parseConfigText(`listeners:\n  - port: "\${PORT}"\n${base()}`, 'x.yaml', { PORT: '8181' }), {
    message: 'listeners[0].port: expected a port number at x.yaml:2:11',
  }, 'a quoted reference stays a string')
})

t.test('environment values are text, not YAML: only a whole number, boolean or null changes type', async (t) => {
  const text = `listeners:\n  - name: \${NAME}\n    address: \${ADDR}\n    port: \${PORT}\n${base('    policy:\n      name: adaptive\n      stateDir: ${STATE:-null}\n')}`
  const cases: [Record<string, string>, string, string, number][] = [
    [{ NAME: 'edge-1', ADDR: '10.0.0.1', PORT: '80' }, 'edge-1', '10.0.0.1', 80],
    [{ NAME: 'x', ADDR: '#not-a-comment', PORT: '0x50' }, 'x', '#not-a-comment', 80],
    [{ NAME: 'y', ADDR: '${NOT}', PORT: '1' }, 'y', '${NOT}', 1], // one pass: a value is not expanded again
    [{ NAME: 'z', ADDR: 'a: b', PORT: '1' }, 'z', 'a: b', 1],
  ]
  for (const [env, name, address, port] of cases) {
    const config = parseConfigText(text, 'x.yaml', env)
    t.same([config.listeners[0].name, config.listeners[0].address, config.listeners[0].port], [name, address, port], JSON.stringify(env))
  }
  t.match(parseConfigText(text, 'x.yaml', cases[0][0]).upstreams[0].policy, { name: 'adaptive', stateDir: null }, 'null from a default')
  t.throws(() => parseConfigText(text, 'x.yaml', { ...cases[0][0], PORT: '80 # http' }), {
    message: 'listeners[0].port: expected a port number at x.yaml:4:11',
  }, 'a "#" in a value is not a comment')
})

t.test('units, shorthands and policy options', async (t) => {
  const text = `listeners:
  - { port: 0, headersTimeout: 1.5s, requestTimeout: 0, keepAliveTimeout: 2m, maxHeaderSize: 1MiB }
routes:
  - { match: { host: "API.Example.com:443", pathPrefix: /v1/ }, upstream: a }
  - { match: { host: "*.example.com" }, upstream: b, retryNonIdempotent: true }
  - { match: { host: "[::1]:8080" }, upstream: b }
upstreams:
  - name: a
    policy: least_request
    endpoints: [http://127.0.0.1:1, { url: "https://10.0.0.1:8443/", weight: 3, id: big }, https://Backend.example.com]
  - name: b
    policy: { name: peak_ewma, decay: 5s }
    endpoints: [http://127.0.0.1:2, "http://[::1]"]
    timeouts: { connect: 250, body: 1h }
`
  const config = parseConfigText(text, 'x.yaml', {})
  const l = config.listeners[0]
  t.same([l.headersTimeoutMs, l.requestTimeoutMs, l.keepAliveTimeoutMs, l.maxHeaderBytes], [1_500, 0, 120_000, 1_048_576])
  t.same(config.routes.map((r) => [r.name, r.host, r.pathPrefix, r.retryNonIdempotent]), [
    ['route-0', 'api.example.com', '/v1/', null],
    ['route-1', '*.example.com', '/', true],
    ['route-2', '[::1]', '/', null],
  ])
  t.same(config.upstreams[0].policy, { name: 'least_request', choiceCount: 2, activeRequestBias: 1 })
  t.same(config.upstreams[0].endpoints, [
    { id: '127.0.0.1:1', url: 'http://127.0.0.1:1', weight: 1 },
    { id: 'big', url: 'https://10.0.0.1:8443', weight: 3 },
    { id: 'backend.example.com:443', url: 'https://backend.example.com', weight: 1 },
  ])
  t.same(config.upstreams[1].endpoints.map((e) => e.id), ['127.0.0.1:2', '[::1]:80'], 'the scheme\'s port when none is written')
  t.same(config.upstreams[1].policy, { name: 'peak_ewma', decayMs: 5_000, defaultRttMs: 30, failurePenaltyMs: 1_000 })
  t.same([config.upstreams[1].connectTimeoutMs, config.upstreams[1].bodyTimeoutMs], [250, 3_600_000], 'a bare number is ms')
})

t.test('ports may repeat where the sockets cannot clash', async (t) => {
  const text = `listeners:
  - { address: 127.0.0.1, port: 8080 }
  - { address: 127.0.0.2, port: 8080 }
  - { port: 0 }
  - { port: 0 }
admin: { enabled: false, port: 8080 }
${base()}`
  const config = parseConfigText(text, 'x.yaml', {})
  t.same(config.listeners.map((l) => `${l.address}:${l.port}`), ['127.0.0.1:8080', '127.0.0.2:8080', '127.0.0.1:0', '127.0.0.1:0'])
  t.equal(config.admin, null)
})

t.test('demo section', async (t) => {
  const text = `demo:\n  backends:\n    - { name: a, port: 9101, latency: 5ms }\n    - { name: b, address: 127.0.0.2, port: 9102, latency: 1s, jitter: 20ms, errorRate: 0.25 }\n${base()}`
  t.same(parseConfigText(text, 'x.yaml', {}).demo, {
    backends: [
      { name: 'a', address: '127.0.0.1', port: 9101, latencyMs: 5, jitterMs: 0, errorRate: 0 },
      { name: 'b', address: '127.0.0.2', port: 9102, latencyMs: 1_000, jitterMs: 20, errorRate: 0.25 },
    ],
  })
})

t.test('config/demo.yaml: four in-process backends behind one upstream', async (t) => {
  const config = await loadConfigFile('config/demo.yaml', {})
  t.same(config.demo?.backends.map((b) => [b.name, b.address, b.port, b.latencyMs, b.jitterMs]), [
    ['fast-1', '127.0.0.1', 9101, 5, 3],
    ['fast-2', '127.0.0.1', 9102, 6, 3],
    ['fast-3', '127.0.0.1', 9103, 7, 3],
    ['slow', '127.0.0.1', 9104, 60, 20],
  ])
  t.same(config.upstreams.map((u) => [u.name, u.endpoints.map((e) => e.url)]), [
    ['demo', ['http://127.0.0.1:9101', 'http://127.0.0.1:9102', 'http://127.0.0.1:9103', 'http://127.0.0.1:9104']],
  ])
  t.same([config.listeners.map((l) => `${l.address}:${l.port}`), config.admin], [['127.0.0.1:8080'], { address: '127.0.0.1', port: 9901, tokens: [], allowedHosts: [] }])
  t.same(config.routes, [{ name: 'default', host: null, pathPrefix: '/', upstream: 'demo', retryNonIdempotent: null, maxBodyBytes: null, allowTrace: false, rateLimit: null }])
})

t.test('config/baton.yaml: the reference sets every block', async (t) => {
  const config = await loadConfigFile('config/baton.yaml', {})
  t.same(config.upstreams.map((u) => u.name), ['api', 'web'])
  t.same(config.routes.map((r) => [r.upstream, r.retryNonIdempotent, r.maxBodyBytes]), [
    ['api', true, null],
    ['api', null, 1024 ** 3],
    ['api', null, null],
    ['web', null, null],
  ])
  t.not(config.upstreams[0].health.active, null, 'active checks spelled out')
  t.same(config.anomaly, DEFAULT_ANOMALY, 'the anomaly block states the defaults')
  t.equal(config.listeners[0].port, 8080, '${PORT:-8080} falls back')
  t.equal((await loadConfigFile('config/baton.yaml', { PORT: '18080' })).listeners[0].port, 18_080)
})

t.test('files: source is absolute, messages name the file as given', async (t) => {
  const dir = t.testdir({ 'good.yaml': base('    policy: { name: adaptive, stateDir: state }\n'), 'broken.yaml': base('    weight: 2\n') })
  const good = await loadConfigFile(join(dir, 'good.yaml'), {})
  t.equal(good.source, resolve(dir, 'good.yaml'))
  t.match(good.upstreams[0].policy, { stateDir: join(dir, 'state') }, 'a relative stateDir is resolved against the file\'s folder')
  t.equal(parseConfigText(base(), 'x.yaml', {}).source, '<inline>')

  const given = relative(process.cwd(), join(dir, 'broken.yaml'))
  t.notOk(isAbsolute(given))
  await t.rejects(loadConfigFile(given, {}), { message: `upstreams[0].weight: unknown key "weight" at ${given}:5:5` })
  await t.rejects(loadConfigFile('no/such/baton.yaml', {}), {
    message: "(root): cannot read config file: ENOENT: no such file or directory, open 'no/such/baton.yaml' at no/such/baton.yaml:1:1",
  })
})
