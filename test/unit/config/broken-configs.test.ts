import { resolve } from 'node:path'
import t from 'tap'
import { ConfigError } from '../../../src/config/config-error.js'
import { parseConfigText } from '../../../src/config/load.js'
import { errorLines } from '../../helpers/config-errors.js'

/** A valid single-upstream config, with `extra` appended inside the upstream. */
const base = (extra = '') => `upstreams:\n  - name: api\n    endpoints:\n      - url: http://127.0.0.1:3001\n${extra}`

/** Each broken config and the exact lines `baton validate` prints for it. */
const BROKEN: { name: string; text: string; expected: string[] }[] = [
  {
    name: 'audit: a flush interval under 10 ms, a tiny maxSize, keep out of range, an unknown key',
    text: `audit:\n  flushInterval: 1ms\n  maxSize: 1KiB\n  keep: -1\n  fil: a.log\n${base()}`,
    expected: [
      'audit.flushInterval: must be at least 10 ms, got 1 ms at x.yaml:2:18',
      'audit.maxSize: maxSize must be at least 4KiB (a rotation per line would keep nothing) at x.yaml:3:12',
      'audit.keep: must be at least 0, got -1 at x.yaml:4:9',
      'audit.fil: unknown key "fil" at x.yaml:5:3',
    ],
  },
  {
    name: 'unknown top-level key',
    text: `${base()}bogus: 1\n`,
    expected: [
      'bogus: unknown key "bogus" at x.yaml:5:1',
    ],
  },
  {
    name: 'unknown nested key (typo)',
    text: base('    timeouts:\n      conect: 2s\n'),
    expected: [
      'upstreams[0].timeouts.conect: unknown key "conect" at x.yaml:6:7',
    ],
  },
  {
    name: 'URL with a bad scheme',
    text: `upstreams:\n  - name: api\n    endpoints:\n      - url: "htp:/x"\n`,
    expected: [
      'upstreams[0].endpoints[0].url: invalid URL "htp:/x": the scheme must be http or https at x.yaml:4:14',
    ],
  },
  {
    name: 'not a URL',
    text: `upstreams:\n  - name: api\n    endpoints:\n      - url: "not a url"\n`,
    expected: [
      'upstreams[0].endpoints[0].url: invalid URL "not a url" at x.yaml:4:14',
    ],
  },
  {
    name: 'endpoint URL with a path',
    text: `upstreams:\n  - name: api\n    endpoints:\n      - http://127.0.0.1:3001/api\n`,
    expected: [
      'upstreams[0].endpoints[0].url: invalid URL "http://127.0.0.1:3001/api": an endpoint is an origin (scheme://host:port) without path or query at x.yaml:4:9',
    ],
  },
  {
    name: 'wrong type',
    text: base('    rewriteHost: "yes"\n'),
    expected: [
      'upstreams[0].rewriteHost: expected boolean, got string at x.yaml:5:18',
    ],
  },
  {
    name: 'port above 65535',
    text: `listeners:\n  - port: 70000\n${base()}`,
    expected: [
      'listeners[0].port: port must be between 0 and 65535 at x.yaml:2:11',
    ],
  },
  {
    name: 'negative port',
    text: `listeners:\n  - port: -1\n${base()}`,
    expected: [
      'listeners[0].port: port must be between 0 and 65535 at x.yaml:2:11',
    ],
  },
  {
    name: 'duplicate upstream name',
    text: `${base()}  - name: api\n    endpoints: [http://127.0.0.1:3002]\n`,
    expected: [
      'upstreams[1].name: duplicate upstream name "api" (first at upstreams[0]) at x.yaml:5:11',
      'routes: routes are required when there is more than one upstream at x.yaml:1:1',
    ],
  },
  {
    name: 'route to an unknown upstream',
    text: `routes:\n  - upstream: nope\n${base()}`,
    expected: [
      'routes[0].upstream: unknown upstream "nope"; known: api at x.yaml:2:15',
    ],
  },
  {
    name: 'unknown policy name',
    text: base('    policy: fastest\n'),
    expected: [
      'upstreams[0].policy.name: unknown policy "fastest"; known: round_robin, random, least_request, peak_ewma, adaptive, hash at x.yaml:5:13',
    ],
  },
  {
    name: 'bad duration',
    text: base('    timeouts:\n      connect: 2 parsecs\n'),
    expected: [
      'upstreams[0].timeouts.connect: expected a duration like 250ms, 5s, 2m or 1h, got "2 parsecs" at x.yaml:6:16',
    ],
  },
  {
    name: 'missing required key',
    text: `upstreams:\n  - endpoints: [http://127.0.0.1:3001]\n`,
    expected: [
      'upstreams[0].name: missing required key "name" at x.yaml:2:5',
    ],
  },
  {
    name: 'no upstreams at all',
    text: `listeners:\n  - port: 8080\n`,
    expected: [
      'upstreams: missing required key "upstreams" at x.yaml:1:1',
    ],
  },
  {
    name: 'YAML syntax error',
    text: `upstreams:\n  - name: api\n   endpoints: [\n`,
    expected: [
      '(root): YAML syntax error: Sequence item without - indicator at x.yaml:3:1',
      '(root): YAML syntax error: Flow sequence in block collection must be sufficiently indented and end with a ] at x.yaml:4:1',
    ],
  },
  {
    name: 'unset environment variable',
    text: `listeners:\n  - port: \${BATON_TEST_UNSET}\n${base()}`,
    expected: [
      'listeners[0].port: environment variable BATON_TEST_UNSET is not set and has no default at x.yaml:2:11',
    ],
  },
  {
    name: 'weight 0',
    text: `upstreams:\n  - name: api\n    endpoints:\n      - { url: http://127.0.0.1:3001, weight: 0 }\n`,
    expected: [
      'upstreams[0].endpoints[0].weight: weight must be between 1 and 10000 at x.yaml:4:47',
    ],
  },
  {
    name: 'duplicate endpoint',
    text: `upstreams:\n  - name: api\n    endpoints:\n      - http://127.0.0.1:3001\n      - http://127.0.0.1:3001\n`,
    expected: [
      'upstreams[0].endpoints[1]: duplicate endpoint "127.0.0.1:3001" (first at upstreams[0].endpoints[0]) at x.yaml:5:9',
    ],
  },
  {
    name: 'several errors reported together',
    text: `listeners:\n  - port: 99999\n    extra: true\nupstreams:\n  - name: api\n    endpoints:\n      - url: ftp://x\n`,
    expected: [
      'listeners[0].port: port must be between 0 and 65535 at x.yaml:2:11',
      'listeners[0].extra: unknown key "extra" at x.yaml:3:5',
      'upstreams[0].endpoints[0].url: invalid URL "ftp://x": the scheme must be http or https at x.yaml:7:14',
    ],
  },
  {
    name: 'routes needed for several upstreams',
    text: `${base()}  - name: web\n    endpoints: [http://127.0.0.1:3002]\n`,
    expected: [
      'routes: routes are required when there is more than one upstream at x.yaml:1:1',
    ],
  },
  {
    name: 'pathPrefix without leading slash',
    text: `routes:\n  - match: { pathPrefix: api }\n    upstream: api\n${base()}`,
    expected: [
      'routes[0].match.pathPrefix: pathPrefix must start with "/" at x.yaml:2:26',
    ],
  },
  {
    name: 'wildcard in the middle of a host',
    text: `routes:\n  - match: { host: "api.*.com" }\n    upstream: api\n${base()}`,
    expected: [
      'routes[0].match.host: invalid host pattern "api.*.com": a wildcard may only lead, as in *.example.com at x.yaml:2:20',
    ],
  },
  {
    name: 'admin port clashes with a listener',
    text: `listeners:\n  - port: 9000\nadmin:\n  port: 9000\n${base()}`,
    expected: [
      'admin.port: port 9000 is already used by listeners[0] at x.yaml:4:9',
    ],
  },
  {
    name: 'policy option out of range',
    text: base('    policy: { name: least_request, choiceCount: 1 }\n'),
    expected: [
      'upstreams[0].policy.choiceCount: choiceCount must be between 2 and 10 at x.yaml:5:49',
    ],
  },
  {
    name: 'adaptive exploration budget and probe path out of range',
    text: base('    policy: { name: adaptive, explorationPercent: 101, probePath: nope }\n'),
    expected: [
      'upstreams[0].policy.explorationPercent: explorationPercent is a percentage from 0 to 100 at x.yaml:5:51',
      'upstreams[0].policy.probePath: probePath must be a path starting with / at x.yaml:5:67',
    ],
  },
  {
    name: 'empty endpoint list',
    text: `upstreams:\n  - name: api\n    endpoints: []\n`,
    expected: [
      'upstreams[0].endpoints: an upstream needs at least one endpoint, or a discovery: source at x.yaml:3:16',
    ],
  },
  {
    name: 'duplicate YAML key',
    text: `upstreams:\n  - name: api\n    name: api2\n    endpoints: [http://127.0.0.1:3001]\n`,
    expected: [
      '(root): YAML syntax error: Map keys must be unique at x.yaml:3:5',
    ],
  },
  {
    name: 'unknown log level',
    text: `logging:\n  level: loud\n${base()}`,
    expected: [
      'logging.level: expected one of "fatal", "error", "warn", "info", "debug", "trace", "silent" at x.yaml:2:10',
    ],
  },
  {
    name: 'empty file',
    text: ``,
    expected: [
      'upstreams: missing required key "upstreams" at x.yaml:1:1',
    ],
  },
  {
    name: 'endpoint URL with port 0',
    text: `upstreams:\n  - name: api\n    endpoints: [http://127.0.0.1:0]\n`,
    expected: [
      'upstreams[0].endpoints[0].url: invalid URL "http://127.0.0.1:0": the port must be between 1 and 65535 at x.yaml:3:17',
    ],
  },
  {
    name: 'endpoint URL with credentials or a query',
    text: `upstreams:\n  - name: api\n    endpoints:\n      - http://user:pw@10.0.0.1:80\n      - http://10.0.0.2:80/?debug=1\n`,
    expected: [
      'upstreams[0].endpoints[0].url: invalid URL "http://user:pw@10.0.0.1:80": credentials are not allowed at x.yaml:4:9',
      'upstreams[0].endpoints[1].url: invalid URL "http://10.0.0.2:80/?debug=1": an endpoint is an origin (scheme://host:port) without path or query at x.yaml:5:9',
    ],
  },
  {
    name: 'host that is not a host name',
    text: `routes:\n  - match: { host: "example.com/api" }\n    upstream: api\n${base()}`,
    expected: [
      'routes[0].match.host: invalid host "example.com/api": expected a host name like api.example.com or *.example.com at x.yaml:2:20',
    ],
  },
  {
    name: 'empty route list',
    text: `routes: []\n${base()}`,
    expected: [
      'routes: at least one route is needed (omit routes for a catch-all to a single upstream) at x.yaml:1:9',
    ],
  },
  {
    name: 'unknown duration unit',
    text: base('    timeouts: { idle: 30d }\n'),
    expected: [
      'upstreams[0].timeouts.idle: expected a duration like 250ms, 5s, 2m or 1h, got "30d" at x.yaml:5:23',
    ],
  },
  {
    name: 'duration longer than a Node timer allows',
    text: base('    timeouts: { idle: 1000h }\n'),
    expected: [
      'upstreams[0].timeouts.idle: must be at most 2147483647 ms, got 3600000000 ms at x.yaml:5:23',
    ],
  },
  {
    name: 'empty value where a default exists',
    text: base('    timeouts:\n      connect:\n'),
    expected: [
      'upstreams[0].timeouts.connect: expected a duration like 250ms, 5s, 2m or 1h, got null at x.yaml:6:15',
    ],
  },
  {
    name: 'headersTimeout above requestTimeout',
    text: `listeners:\n  - { headersTimeout: 2m, requestTimeout: 1m }\n${base()}`,
    expected: [
      'listeners[0].headersTimeout: headersTimeout 120000 ms exceeds requestTimeout 60000 ms at x.yaml:2:23',
    ],
  },
  {
    name: 'demo backend without its required keys, errorRate out of range',
    text: `demo:\n  backends:\n    - { name: a, errorRate: 2 }\n${base()}`,
    expected: [
      'demo.backends[0].port: missing required key "port" at x.yaml:3:7',
      'demo.backends[0].latency: missing required key "latency" at x.yaml:3:7',
      'demo.backends[0].errorRate: errorRate must be between 0 and 1 at x.yaml:3:29',
    ],
  },
  {
    name: 'a demo backend on the port of a wildcard listener',
    text: `listeners:\n  - { address: 0.0.0.0, port: 9101 }\ndemo:\n  backends:\n    - { name: a, port: 9101, latency: 5ms }\n${base()}`,
    expected: [
      'demo.backends[0].port: port 9101 is already used by listeners[0] at x.yaml:5:24',
    ],
  },
  {
    name: 'duplicate listener, route and demo backend names',
    text: `listeners:
  - { name: main, port: 8001 }
  - { name: main, port: 8002 }
routes:
  - { name: r, upstream: api }
  - { name: r, upstream: api }
demo:
  backends:
    - { name: b, port: 9101, latency: 1ms }
    - { name: b, port: 9102, latency: 1ms }
${base()}`,
    expected: [
      'listeners[1].name: duplicate listener name "main" (first at listeners[0]) at x.yaml:3:13',
      'routes[1].name: duplicate route name "r" (first at routes[0]) at x.yaml:6:13',
      'demo.backends[1].name: duplicate demo backend name "b" (first at demo.backends[0]) at x.yaml:10:15',
    ],
  },
  {
    name: 'policy without a name',
    text: base('    policy: { choiceCount: 3 }\n'),
    expected: [
      'upstreams[0].policy.name: expected a policy name or { name, ...options }; known: round_robin, random, least_request, peak_ewma, adaptive, hash at x.yaml:5:13',
    ],
  },
  {
    name: 'option of another policy',
    text: base('    policy: { name: round_robin, choiceCount: 3 }\n'),
    expected: [
      'upstreams[0].policy.choiceCount: unknown key "choiceCount" at x.yaml:5:34',
    ],
  },
  {
    name: 'numbers out of range without a message of their own',
    text: base('    pool: { connections: 0 }\n    retry: { maxRetries: 11, budgetPercent: 0.2 }\n'),
    expected: [
      'upstreams[0].pool.connections: must be at least 1, got 0 at x.yaml:5:26',
      'upstreams[0].retry.maxRetries: must be at most 10, got 11 at x.yaml:6:26',
      'upstreams[0].retry.budgetPercent: budgetPercent is a percentage from 0 to 100 (write 20 for 20 %); values between 0 and 1 are refused since it stopped being a fraction at x.yaml:6:45',
    ],
  },
  {
    name: 'hedge delay neither p95 nor a duration',
    text: base('    retry:\n      hedge: { enabled: true, delay: p99 }\n'),
    expected: [
      'upstreams[0].retry.hedge.delay: expected tail, p95 or a duration of at least 1 ms like 20ms, got "p99" at x.yaml:6:38',
    ],
  },
  {
    name: 'hedge delay of 0',
    text: base('    retry:\n      hedge: { delay: 0ms }\n'),
    expected: [
      'upstreams[0].retry.hedge.delay: expected tail, p95 or a duration of at least 1 ms like 20ms, got "0ms" at x.yaml:6:23',
    ],
  },
  {
    name: 'overallTimeout not a duration, hedge key typo, enabled not a boolean',
    text: base('    retry:\n      overallTimeout: soon\n      hedge: { enabled: yes, maxHedge: 2 }\n'),
    expected: [
      'upstreams[0].retry.overallTimeout: expected a duration like 250ms, 5s, 2m or 1h, got "soon" at x.yaml:6:23',
      'upstreams[0].retry.hedge.enabled: expected boolean, got string at x.yaml:7:25',
      'upstreams[0].retry.hedge.maxHedge: unknown key "maxHedge" at x.yaml:7:30',
    ],
  },
  {
    name: 'upside-down health ranges',
    text: base('    health:\n      active: { expectedStatus: { min: 300, max: 200 } }\n      outlier: { maxEjectionTime: 10s }\n'),
    expected: [
      'upstreams[0].health.active.expectedStatus.max: max 200 is below min 300 at x.yaml:6:50',
      'upstreams[0].health.outlier.maxEjectionTime: maxEjectionTime 10000 ms is below baseEjectionTime 30000 ms at x.yaml:7:35',
    ],
  },
  {
    name: 'document is a list',
    text: `- name: api\n`,
    expected: [
      '(root): expected a mapping, got a list at x.yaml:1:1',
    ],
  },
  {
    name: 'two unset environment variables',
    text: `listeners:\n  - address: \${BATON_TEST_A}\n    port: \${BATON_TEST_B}\n${base()}`,
    expected: [
      'listeners[0].address: environment variable BATON_TEST_A is not set and has no default at x.yaml:2:14',
      'listeners[0].port: environment variable BATON_TEST_B is not set and has no default at x.yaml:3:11',
    ],
  },
  {
    name: 'admin token from an unset environment variable',
    text: `admin:\n  tokens:\n    - { name: ops, role: admin, env: BATON_TEST_TOKEN }\n${base()}`,
    expected: [
      'admin.tokens[0].env: environment variable BATON_TEST_TOKEN is not set at x.yaml:3:38',
    ],
  },
  {
    name: 'admin token with both env and file, or neither',
    text: `admin:\n  tokens:\n    - { name: a, role: admin, env: A_TOKEN, file: a.token }\n    - { name: b, role: read }\n${base()}`,
    expected: [
      'admin.tokens[0].file: a token comes from env or from file, not both at x.yaml:3:51',
      'admin.tokens[1]: a token needs env: VAR_NAME or file: path, where its secret is kept (never in the config itself) at x.yaml:4:7',
    ],
  },
  {
    name: 'admin token written into the config, unknown role, no name, bad variable name',
    text: `admin:\n  tokens:\n    - { name: ops, role: root, token: s3cr3t-s3cr3t-s3cr3t }\n    - { role: read, env: "not a name" }\n${base()}`,
    expected: [
      'admin.tokens[0].role: expected one of "read", "admin" at x.yaml:3:26',
      'admin.tokens[0].token: unknown key "token" at x.yaml:3:32',
      'admin.tokens[1].name: missing required key "name" at x.yaml:4:7',
      'admin.tokens[1].env: expected an environment variable name like BATON_ADMIN_TOKEN at x.yaml:4:26',
    ],
  },
  {
    name: 'admin API on every interface without a token',
    text: `admin:\n  address: 0.0.0.0\n${base()}`,
    expected: [
      'admin.address: the admin API on 0.0.0.0 needs a token: anyone who reaches that address could read every upstream and roll the model back; add admin.tokens or listen on 127.0.0.1 at x.yaml:2:12',
    ],
  },
  {
    name: 'admin API on a LAN address without a token',
    text: `admin: { address: 192.168.1.10, port: 9901 }\n${base()}`,
    expected: [
      'admin.address: the admin API on 192.168.1.10 needs a token: anyone who reaches that address could read every upstream and roll the model back; add admin.tokens or listen on 127.0.0.1 at x.yaml:1:19',
    ],
  },
  {
    name: 'duplicate admin token names, an unreadable token file',
    text: `admin:\n  tokens:\n    - { name: ops, role: admin, file: no-such.token }\n    - { name: ops, role: read, env: BATON_TEST_READ }\n${base()}`,
    expected: [
      'admin.tokens[1].name: duplicate admin token name "ops" (first at admin.tokens[0]) at x.yaml:4:15',
      `admin.tokens[0].file: cannot read token file ${resolve('no-such.token')}: ENOENT at x.yaml:3:39`,
      'admin.tokens[1].env: environment variable BATON_TEST_READ is not set at x.yaml:4:37',
    ],
  },
  {
    name: 'admin allowedHosts that are not host[:port]',
    text: `admin:\n  allowedHosts: ["*.example.com", "a/b", "admin.example.com:99999", ok.example.com]\n${base()}`,
    expected: [
      'admin.allowedHosts[0]: invalid host "*.example.com": expected a host name or IP address with an optional :port, like admin.example.com or admin.example.com:8443 at x.yaml:2:18',
      'admin.allowedHosts[1]: invalid host "a/b": expected a host name or IP address with an optional :port, like admin.example.com or admin.example.com:8443 at x.yaml:2:35',
      'admin.allowedHosts[2]: invalid host "admin.example.com:99999": expected a host name or IP address with an optional :port, like admin.example.com or admin.example.com:8443 at x.yaml:2:42',
    ],
  },
  {
    name: 'neither endpoints nor discovery',
    text: `upstreams:\n  - name: api\n`,
    expected: [
      'upstreams[0].endpoints: missing required key "endpoints": an upstream needs at least one endpoint, or a discovery: source at x.yaml:2:5',
    ],
  },
  {
    name: 'both endpoints and discovery',
    text: `upstreams:\n  - name: api\n    endpoints: [http://127.0.0.1:3001]\n    discovery:\n      dns: { name: api.internal, port: 8080 }\n`,
    expected: [
      'upstreams[0].endpoints: an upstream takes its endpoints from endpoints: or from discovery:, not both (leave endpoints out) at x.yaml:3:16',
    ],
  },
  {
    name: 'discovery with two sources, or none',
    text: `routes:\n  - upstream: a\nupstreams:\n  - name: a\n    discovery:\n      dns: { name: api.internal, port: 8080 }\n      file: { path: endpoints.yaml }\n  - name: b\n    discovery: {}\n`,
    expected: [
      'upstreams[0].discovery.file: discovery takes one source: dns and file are both given at x.yaml:7:13',
      'upstreams[1].discovery: discovery needs one source: dns, srv or file at x.yaml:9:16',
    ],
  },
  {
    name: 'bad resolver addresses',
    text: `routes:\n  - upstream: a\nupstreams:\n  - name: a\n    discovery:\n      dns: { name: api.internal, port: 8080, resolver: "dns.example.com:53" }\n  - name: b\n    discovery:\n      srv: { name: _http._tcp.api.internal, resolver: "127.0.0.1:99999" }\n`,
    expected: [
      'upstreams[0].discovery.dns.resolver: invalid resolver "dns.example.com:53": expected an IP address with an optional port, like 127.0.0.1:5353 or [::1]:53 at x.yaml:6:56',
      'upstreams[1].discovery.srv.resolver: invalid resolver "127.0.0.1:99999": the port must be between 1 and 65535 at x.yaml:9:55',
    ],
  },
  {
    name: 'dns discovery without a port, an IP as the name, a bad family; an SRV name without _service._proto',
    text: `routes:\n  - upstream: a\nupstreams:\n  - name: a\n    discovery:\n      dns: { name: 10.0.0.1, family: 5 }\n  - name: b\n    discovery:\n      srv: { name: api.internal, interval: 500ms }\n`,
    expected: [
      'upstreams[0].discovery.dns.name: "10.0.0.1" is an IP address, not a name to resolve: list it under endpoints instead at x.yaml:6:20',
      'upstreams[0].discovery.dns.port: missing required key "port" at x.yaml:6:12',
      'upstreams[0].discovery.dns.family: family must be 4, 6 or any at x.yaml:6:38',
      'upstreams[1].discovery.srv.name: invalid SRV name "api.internal": expected _service._proto.name, like _http._tcp.api.internal at x.yaml:9:20',
      'upstreams[1].discovery.srv.interval: must be at least 1000 ms, got 500 ms at x.yaml:9:44',
    ],
  },
  {
    name: 'discovery that is not a mapping, a file format that does not exist, a typo',
    text: `routes:\n  - upstream: a\nupstreams:\n  - name: a\n    discovery: dns\n  - name: b\n    discovery:\n      file: { path: endpoints.txt, format: toml, pol: 1s }\n`,
    expected: [
      'upstreams[0].discovery: expected a mapping with one of dns, srv or file at x.yaml:5:16',
      'upstreams[1].discovery.file.format: format must be json or yaml at x.yaml:8:44',
      'upstreams[1].discovery.file.pol: unknown key "pol" at x.yaml:8:50',
    ],
  },
  {
    name: 'anomaly: a window shorter than the interval, no consecutive samples, a band under 1 σ, a typo',
    text: `${base()}anomaly:\n  interval: 2s\n  window: 1s\n  enterAfter: 0\n  bandWidth: 0.5\n  sensitivity: 3\n`,
    expected: [
      'anomaly.enterAfter: must be at least 1 at x.yaml:8:15',
      'anomaly.bandWidth: bandWidth must be at least 1 at x.yaml:9:14',
      'anomaly.sensitivity: unknown key "sensitivity" at x.yaml:10:3',
      'anomaly.window: window (1000 ms) must be at least the interval (2000 ms) at x.yaml:7:11',
    ],
  },
]

t.test('broken configs are rejected with path: message at file:line:col', async (t) => {
  t.ok(BROKEN.length >= 20)
  for (const c of BROKEN) t.same(errorLines(c.text), c.expected, c.name)
})

t.test('ConfigError.issues holds the same issues, structured', async (t) => {
  const err = t.throws(() => parseConfigText(`${base()}bogus: 1\n`, 'x.yaml', {})) as ConfigError
  t.same(err.issues, [{ file: 'x.yaml', line: 5, column: 1, path: 'bogus', message: 'unknown key "bogus"' }])
  t.equal(err.name, 'ConfigError')
})
