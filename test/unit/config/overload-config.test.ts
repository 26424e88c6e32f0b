import t from 'tap'
import { parseConfigText } from '../../../src/config/load.js'
import { errorLines } from '../../helpers/config-errors.js'

/** One upstream and one route carrying `limit` (YAML lines under rateLimit:, indented 6). */
const routed = (limit: string, upstreamExtra = '') =>
  `routes:\n  - upstream: api\n    rateLimit:\n${limit}upstreams:\n  - name: api\n    endpoints:\n      - url: http://127.0.0.1:3001\n${upstreamExtra}`

t.test('rateLimit: rates in any unit, the burst default, the key forms', async (t) => {
  const cases: { yaml: string; expected: object }[] = [
    { yaml: '      rate: 100/s\n', expected: { ratePerSecond: 100, burst: 100, key: { source: 'route' }, maxKeys: 100_000 } },
    { yaml: '      rate: 600/min\n      burst: 20\n', expected: { ratePerSecond: 10, burst: 20 } },
    { yaml: '      rate: 1/h\n', expected: { ratePerSecond: 1 / 3600, burst: 1 } },
    { yaml: '      rate: 2.5\n', expected: { ratePerSecond: 2.5, burst: 3 } },
    { yaml: '      rate: 10/s\n      key: ip\n', expected: { key: { source: 'ip', ipv4Prefix: 32, ipv6Prefix: 64 } } },
    { yaml: '      rate: 10/s\n      key: ip/24\n      ipv6Prefix: 48\n', expected: { key: { source: 'ip', ipv4Prefix: 24, ipv6Prefix: 48 } } },
    { yaml: '      rate: 10/s\n      key: header:X-Api-Key\n      maxKeys: 50\n', expected: { key: { source: 'header', name: 'x-api-key' }, maxKeys: 50 } },
  ]
  for (const c of cases) t.match(parseConfigText(routed(c.yaml), 'x.yaml', {}).routes[0].rateLimit, c.expected, c.yaml.trim())
  const none = parseConfigText(routed('      rate: 1/s\n').replace(/    rateLimit:\n.*\n/, ''), 'x.yaml', {})
  t.equal(none.routes[0].rateLimit, null, 'no rateLimit block: no limit (no default limit)')
  const upstream = parseConfigText(routed('      rate: 1/s\n'), 'x.yaml', {}).upstreams[0]
  t.same(upstream.retryAfter, { enabled: true, maxMs: 60_000 }, 'Retry-After honoured by default, capped at 60 s')
  t.match(upstream.storm, { enabled: true, warmupMs: 30_000, band: 4, minErrorFraction: 0.5, calmMs: 5_000, relaxMs: 10_000 })
})

t.test('broken rateLimit, retryAfter and storm blocks name file:line:key', async (t) => {
  const cases: { name: string; text: string; expected: string[] }[] = [
    {
      name: 'a rate without a unit we know, a key that is not one',
      text: routed('      rate: 100/day\n      key: cookie:sid\n'),
      expected: [
        'routes[0].rateLimit.rate: expected a rate like 100/s, 600/min or 10000/h, got "100/day" at x.yaml:4:13',
        'routes[0].rateLimit.key: expected a key: route, ip, ip/PREFIX (IPv4 prefix 0..32) or header:NAME at x.yaml:5:12',
      ],
    },
    {
      name: 'no rate, a zero burst, an IPv4 prefix over 32, an IPv6 prefix over 128',
      text: routed('      burst: 0\n      key: ip/33\n      ipv6Prefix: 129\n'),
      expected: [
        'routes[0].rateLimit.rate: expected a rate like 100/s, 600/min or 10000/h, got nothing at x.yaml:4:7',
        'routes[0].rateLimit.burst: must be at least 1, got 0 at x.yaml:4:14',
        'routes[0].rateLimit.key: expected a key: route, ip, ip/PREFIX (IPv4 prefix 0..32) or header:NAME at x.yaml:5:12',
        'routes[0].rateLimit.ipv6Prefix: must be at most 128, got 129 at x.yaml:6:19',
      ],
    },
    {
      name: 'a rate of zero; a typo in storm; retryAfter.max that is no duration',
      text: routed('      rate: 0/s\n', '    storm: { band: 4, clam: 5s }\n    retryAfter: { max: later }\n'),
      expected: [
        'routes[0].rateLimit.rate: expected a rate like 100/s, 600/min or 10000/h, got "0/s" at x.yaml:4:13',
        'upstreams[0].retryAfter.max: expected a duration like 250ms, 5s, 2m or 1h, got "later" at x.yaml:10:24',
        'upstreams[0].storm.clam: unknown key "clam" at x.yaml:9:23',
      ],
    },
  ]
  for (const c of cases) t.same(errorLines(c.text), c.expected, c.name)
})
