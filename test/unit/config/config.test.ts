import t from 'tap'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { DEFAULT_HEALTH, DEFAULT_RETRY } from '../../../src/config/build-health.js'
import { ConfigError } from '../../../src/config/config-error.js'
import { loadConfigFile, parseConfigText } from '../../../src/config/load.js'

/** A valid single-upstream config, with `extra` appended inside the upstream. */
const base = (extra = '') => `upstreams:\n  - name: api\n    endpoints:\n      - url: http://127.0.0.1:3001\n${extra}`

/** Each broken config and the exact lines `baton validate` prints for it. */
const BROKEN: { name: string; text: string; expected: string[] }[] = [
  {
    name: 'unknown top-level key',
    text: `${base()}bogus: 1\n`,
    expected: [
      "bogus: unknown key \"bogus\" at x.yaml:5:1",
    ],
  },
  {
    name: 'unknown nested key (typo)',
    text: base('    timeouts:\n      conect: 2s\n'),
    expected: [
      "upstreams[0].timeouts.conect: unknown key \"conect\" at x.yaml:6:7",
    ],
  },
  {
    name: 'URL with a bad scheme',
    text: `upstreams:\n  - name: api\n    endpoints:\n      - url: "htp:/x"\n`,
    expected: [
      "upstreams[0].endpoints[0].url: invalid URL \"htp:/x\": the scheme must be http or https at x.yaml:4:14",
    ],
  },
  {
    name: 'not a URL',
    text: `upstreams:\n  - name: api\n    endpoints:\n      - url: "not a url"\n`,
    expected: [
      "upstreams[0].endpoints[0].url: invalid URL \"not a url\" at x.yaml:4:14",
    ],
  },
  {
    name: 'endpoint URL with a path',
    text: `upstreams:\n  - name: api\n    endpoints:\n      - http://127.0.0.1:3001/api\n`,
    expected: [
      "upstreams[0].endpoints[0].url: invalid URL \"http://127.0.0.1:3001/api\": an endpoint is an origin (scheme://host:port) without path or query at x.yaml:4:9",
    ],
  },
  {
    name: 'wrong type',
    text: base('    rewriteHost: "yes"\n'),
    expected: [
      "upstreams[0].rewriteHost: expected boolean, got string at x.yaml:5:18",
    ],
  },
  {
    name: 'port above 65535',
    text: `listeners:\n  - port: 70000\n${base()}`,
    expected: [
      "listeners[0].port: port must be between 0 and 65535 at x.yaml:2:11",
    ],
  },
  {
    name: 'negative port',
    text: `listeners:\n  - port: -1\n${base()}`,
    expected: [
      "listeners[0].port: port must be between 0 and 65535 at x.yaml:2:11",
    ],
  },
  {
    name: 'duplicate upstream name',
    text: `${base()}  - name: api\n    endpoints: [http://127.0.0.1:3002]\n`,
    expected: [
      "upstreams[1].name: duplicate upstream name \"api\" (first at upstreams[0]) at x.yaml:5:11",
      "routes: routes are required when there is more than one upstream at x.yaml:1:1",
    ],
  },
  {
    name: 'route to an unknown upstream',
    text: `routes:\n  - upstream: nope\n${base()}`,
    expected: [
      "routes[0].upstream: unknown upstream \"nope\"; known: api at x.yaml:2:15",
    ],
  },
  {
    name: 'unknown policy name',
    text: base('    policy: fastest\n'),
    expected: [
      "upstreams[0].policy.name: unknown policy \"fastest\"; known: round_robin, random, least_request, peak_ewma, adaptive at x.yaml:5:13",
    ],
  },
  {
    name: 'bad duration',
    text: base('    timeouts:\n      connect: 2 parsecs\n'),
    expected: [
      "upstreams[0].timeouts.connect: expected a duration like 250ms, 5s, 2m or 1h, got \"2 parsecs\" at x.yaml:6:16",
    ],
  },
  {
    name: 'missing required key',
    text: `upstreams:\n  - endpoints: [http://127.0.0.1:3001]\n`,
    expected: [
      "upstreams[0].name: missing required key \"name\" at x.yaml:2:5",
    ],
  },
  {
    name: 'no upstreams at all',
    text: `listeners:\n  - port: 8080\n`,
    expected: [
      "upstreams: missing required key \"upstreams\" at x.yaml:1:1",
    ],
  },
  {
    name: 'YAML syntax error',
    text: `upstreams:\n  - name: api\n   endpoints: [\n`,
    expected: [
      "(root): YAML syntax error: Sequence item without - indicator at x.yaml:3:1",
      "(root): YAML syntax error: Flow sequence in block collection must be sufficiently indented and end with a ] at x.yaml:4:1",
    ],
  },
  {
    name: 'unset environment variable',
    text: `listeners:\n  - port: \${BATON_TEST_UNSET}\n${base()}`,
    expected: [
      "listeners[0].port: environment variable BATON_TEST_UNSET is not set and has no default at x.yaml:2:11",
    ],
  },
  {
    name: 'weight 0',
    text: `upstreams:\n  - name: api\n    endpoints:\n      - { url: http://127.0.0.1:3001, weight: 0 }\n`,
    expected: [
      "upstreams[0].endpoints[0].weight: weight must be between 1 and 10000 at x.yaml:4:47",
    ],
  },
  {
    name: 'duplicate endpoint',
    text: `upstreams:\n  - name: api\n    endpoints:\n      - http://127.0.0.1:3001\n      - http://127.0.0.1:3001\n`,
    expected: [
      "upstreams[0].endpoints[1]: duplicate endpoint \"127.0.0.1:3001\" (first at upstreams[0].endpoints[0]) at x.yaml:5:9",
    ],
  },
  {
    name: 'several errors reported together',
    text: `listeners:\n  - port: 99999\n    extra: true\nupstreams:\n  - name: api\n    endpoints:\n      - url: ftp://x\n`,
    expected: [
      "listeners[0].port: port must be between 0 and 65535 at x.yaml:2:11",
      "listeners[0].extra: unknown key \"extra\" at x.yaml:3:5",
      "upstreams[0].endpoints[0].url: invalid URL \"ftp://x\": the scheme must be http or https at x.yaml:7:14",
    ],
  },
  {
    name: 'routes needed for several upstreams',
    text: `${base()}  - name: web\n    endpoints: [http://127.0.0.1:3002]\n`,
    expected: [
      "routes: routes are required when there is more than one upstream at x.yaml:1:1",
    ],
  },
  {
    name: 'pathPrefix without leading slash',
    text: `routes:\n  - match: { pathPrefix: api }\n    upstream: api\n${base()}`,
    expected: [
      "routes[0].match.pathPrefix: pathPrefix must start with \"/\" at x.yaml:2:26",
    ],
  },
  {
    name: 'wildcard in the middle of a host',
    text: `routes:\n  - match: { host: "api.*.com" }\n    upstream: api\n${base()}`,
    expected: [
      "routes[0].match.host: invalid host pattern \"api.*.com\": a wildcard may only lead, as in *.example.com at x.yaml:2:20",
    ],
  },
  {
    name: 'admin port clashes with a listener',
    text: `listeners:\n  - port: 9000\nadmin:\n  port: 9000\n${base()}`,
    expected: [
      "admin.port: port 9000 is already used by listeners[0] at x.yaml:4:9",
    ],
  },
  {
    name: 'policy option out of range',
    text: base('    policy: { name: least_request, choiceCount: 1 }\n'),
    expected: [
      "upstreams[0].policy.choiceCount: choiceCount must be between 2 and 10 at x.yaml:5:49",
    ],
  },
  {
    name: 'empty endpoint list',
    text: `upstreams:\n  - name: api\n    endpoints: []\n`,
    expected: [
      "upstreams[0].endpoints: an upstream needs at least one endpoint at x.yaml:3:16",
    ],
  },
  {
    name: 'duplicate YAML key',
    text: `upstreams:\n  - name: api\n    name: api2\n    endpoints: [http://127.0.0.1:3001]\n`,
    expected: [
      "(root): YAML syntax error: Map keys must be unique at x.yaml:3:5",
    ],
  },
  {
    name: 'unknown log level',
    text: `logging:\n  level: loud\n${base()}`,
    expected: [
      "logging.level: expected one of \"fatal\"|\"error\"|\"warn\"|\"info\"|\"debug\"|\"trace\"|\"silent\" at x.yaml:2:10",
    ],
  },
  {
    name: 'empty file',
    text: ``,
    expected: [
      "upstreams: missing required key \"upstreams\" at x.yaml:1:1",
    ],
  },
]

function errorLines(text: string): string[] {
  try {
    parseConfigText(text, 'x.yaml', {})
  } catch (err) {
    if (err instanceof ConfigError) return err.message.split('\n')
    throw err
  }
  return ['(valid)']
}

t.test('broken configs are rejected with path: message at file:line:col', async (t) => {
  t.ok(BROKEN.length >= 20)
  for (const c of BROKEN) t.same(errorLines(c.text), c.expected, c.name)
})

t.test('defaults fill every field', async (t) => {
  const config = parseConfigText(base(), 'x.yaml', {})
  t.same(config.listeners, [
    { name: 'listener-0', address: '127.0.0.1', port: 8080, headersTimeoutMs: 10_000, requestTimeoutMs: 300_000, keepAliveTimeoutMs: 5_000, maxHeaderBytes: 16_384 },
  ])
  t.same(config.admin, { address: '127.0.0.1', port: 9901 })
  t.same(config.logging, { level: 'info', accessLog: false })
  t.same(config.shutdown, { drainTimeoutMs: 30_000 })
  t.same(config.routes, [{ name: 'default', host: null, pathPrefix: '/', upstream: 'api' }])
  t.same(config.upstreams[0], {
    name: 'api',
    policy: { name: 'round_robin' },
    endpoints: [{ id: '127.0.0.1:3001', url: 'http://127.0.0.1:3001', weight: 1 }],
    poolConnections: 128,
    connectTimeoutMs: 2_000,
    responseHeadersTimeoutMs: 30_000,
    bodyTimeoutMs: 30_000,
    idleTimeoutMs: 60_000,
    rewriteHost: false,
    retry: DEFAULT_RETRY,
    health: DEFAULT_HEALTH,
  })
  t.same(DEFAULT_RETRY, { maxRetries: 2, retryOnStatus: [502, 503, 504], retryNonIdempotent: false, replayBufferBytes: 65_536, budgetPercent: 0.2, budgetMinConcurrent: 3, perTryTimeoutMs: 0 })
  t.equal(DEFAULT_HEALTH.active, null, 'active checks are opt-in')
  t.same(DEFAULT_HEALTH.slowStart, { windowMs: 30_000, aggression: 1, minFraction: 0.1 })
  t.same([DEFAULT_HEALTH.panicThreshold, DEFAULT_HEALTH.outlier.maxEjectionPercent, DEFAULT_HEALTH.outlier.consecutive5xx], [0.5, 0.1, 5])
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

t.test('units, shorthands and policy options', async (t) => {
  const text = `listeners:
  - { port: 0, headersTimeout: 1.5s, requestTimeout: 0, keepAliveTimeout: 2m, maxHeaderSize: 1MiB }
routes:
  - { match: { host: "API.Example.com:443", pathPrefix: /v1/ }, upstream: a }
  - { match: { host: "*.example.com" }, upstream: b }
upstreams:
  - name: a
    policy: least_request
    endpoints: [http://127.0.0.1:1, { url: "https://10.0.0.1:8443/", weight: 3, id: big }]
  - name: b
    policy: { name: peak_ewma, decay: 5s }
    endpoints: [http://127.0.0.1:2]
`
  const config = parseConfigText(text, 'x.yaml', {})
  const l = config.listeners[0]
  t.same([l.headersTimeoutMs, l.requestTimeoutMs, l.keepAliveTimeoutMs, l.maxHeaderBytes], [1_500, 0, 120_000, 1_048_576])
  t.same(config.routes.map((r) => r.host), ['api.example.com', '*.example.com'])
  t.same(config.upstreams[0].policy, { name: 'least_request', choiceCount: 2, activeRequestBias: 1 })
  t.same(config.upstreams[0].endpoints, [
    { id: '127.0.0.1:1', url: 'http://127.0.0.1:1', weight: 1 },
    { id: 'big', url: 'https://10.0.0.1:8443', weight: 3 },
  ])
  t.same(config.upstreams[1].policy, { name: 'peak_ewma', decayMs: 5_000, defaultRttMs: 30, failurePenaltyMs: 1_000 })
})

t.test('files: the shipped configs load; a missing file is one clear issue', async (t) => {
  for (const file of ['config/baton.yaml', 'config/demo.yaml']) {
    const config = await loadConfigFile(file, {})
    t.ok(config.upstreams.length > 0, `${file} loads`)
    t.ok(config.source.endsWith(file), 'source is the absolute path')
  }
  const dir = t.testdir()
  const file = join(dir, 'broken.yaml')
  writeFileSync(file, base('    weight: 2\n'))
  await t.rejects(loadConfigFile(file, {}), { message: `upstreams[0].weight: unknown key "weight" at ${file}:5:5` })
  await t.rejects(loadConfigFile(join(dir, 'missing.yaml'), {}), { message: /^\(root\): cannot read config file: ENOENT/ })
})
