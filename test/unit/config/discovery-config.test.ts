import { join } from 'node:path'
import t from 'tap'
import { loadConfigFile, parseConfigText } from '../../../src/config/load.js'
import { resolverProblem } from '../../../src/config/schema-discovery.js'

const upstream = (discovery: string) => `upstreams:\n  - name: api\n    discovery:\n${discovery}`

t.test('dns, srv and file blocks with their defaults', async (t) => {
  const dns = parseConfigText(upstream('      dns: { name: api.internal, port: 8080 }\n'), 'x.yaml', {}).upstreams[0]
  t.same(dns.endpoints, [], 'none until the first answer')
  t.same(dns.discovery, { kind: 'dns', name: 'api.internal', port: 8080, intervalMs: 10_000, family: 'any', resolver: null, scheme: 'http' })
  const srv = parseConfigText(upstream('      srv: { name: _http._tcp.api.internal, interval: 30s, family: 4, resolver: "127.0.0.1:5353", scheme: https }\n'), 'x.yaml', {}).upstreams[0]
  t.same(srv.discovery, { kind: 'srv', name: '_http._tcp.api.internal', intervalMs: 30_000, family: 4, resolver: '127.0.0.1:5353', scheme: 'https' })
  const dir = t.testdir({
    'yaml.yaml': upstream('      file: { path: endpoints/api.yml }\n'),
    'json.yaml': upstream('      file: { path: /etc/baton/api.json, interval: 1s }\n'),
    'forced.yaml': upstream('      file: { path: api.list, format: json }\n    endpoints: []\n'),
  })
  t.same((await loadConfigFile(join(dir, 'yaml.yaml'), {})).upstreams[0].discovery, { kind: 'file', path: join(dir, 'endpoints/api.yml'), format: 'yaml', pollIntervalMs: 5_000 }, 'relative to the config file; YAML by extension')
  t.same((await loadConfigFile(join(dir, 'json.yaml'), {})).upstreams[0].discovery, { kind: 'file', path: '/etc/baton/api.json', format: 'json', pollIntervalMs: 1_000 }, 'JSON by extension')
  t.same((await loadConfigFile(join(dir, 'forced.yaml'), {})).upstreams[0].discovery?.kind, 'file', 'an empty endpoints list is allowed beside discovery')
})

t.test('tls on a discovering upstream needs no https endpoint in the file', async (t) => {
  const text = upstream('      dns: { name: api.internal, port: 8443, scheme: https }\n    tls: { servername: api.internal }\n')
  t.same(parseConfigText(text, 'x.yaml', {}).upstreams[0].tls?.servername, 'api.internal')
})

t.test('resolver addresses as setServers takes them', async (t) => {
  const cases: [string, boolean][] = [
    ['127.0.0.1', true],
    ['127.0.0.1:5353', true],
    ['::1', true],
    ['[::1]:5353', true],
    ['[2001:db8::53]:53', true],
    ['127.0.0.1:0', false],
    ['127.0.0.1:65536', false],
    ['[127.0.0.1]:53', false],
    ['::1:5353:', false],
    ['localhost:53', false],
    ['300.0.0.1:53', false],
    ['', false],
  ]
  for (const [server, ok] of cases) t.equal(resolverProblem(server) === null, ok, `${JSON.stringify(server)} ${ok ? 'accepted' : 'refused'}`)
})
