import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { inspect } from 'node:util'
import t from 'tap'
import { loadConfigFile, parseConfigText } from '../../../src/config/load.js'
import { hasOpenssl, TestCertificates } from '../../helpers/certificates.js'
import { errorLines } from '../../helpers/config-errors.js'

// The TLS blocks of a config: files read at load, relative to the config's folder, every problem a located
// error (file:line:col and key path), and no private key ever printed.

const UPSTREAM = `upstreams:\n  - name: api\n    endpoints: [http://127.0.0.1:3001]\n`

if (!hasOpenssl()) {
  t.plan(0, 'openssl is not installed (apt-get install openssl): no certificates to test with')
} else {
  const certs = new TestCertificates()
  t.teardown(() => certs.cleanup())
  const a = certs.selfSigned('a.test')
  const b = certs.selfSigned('b.test')
  const dir = certs.dir
  const notPem = join(dir, 'not.pem')
  writeFileSync(notPem, 'hello\n')
  const missing = join(dir, 'missing.pem')

  t.test('a TLS listener and an https upstream from files relative to the config, defaults filled', async (t) => {
    const folder = join(dir, 'conf')
    mkdirSync(join(folder, 'tls'), { recursive: true })
    copyFileSync(a.certFile, join(folder, 'tls', 'a.pem'))
    copyFileSync(a.keyFile, join(folder, 'tls', 'a.key'))
    copyFileSync(b.certFile, join(folder, 'tls', 'b.pem'))
    copyFileSync(b.keyFile, join(folder, 'tls', 'b.key'))
    const file = join(folder, 'baton.yaml')
    writeFileSync(
      file,
      [
        'listeners:',
        '  - port: 8443',
        '    tls:',
        '      cert: tls/a.pem',
        '      key: tls/a.key',
        '      certificates:',
        '        - { serverName: B.Test, cert: tls/b.pem, key: tls/b.key }',
        'upstreams:',
        '  - name: api',
        '    endpoints: [https://127.0.0.1:3001]',
        '    tls: { ca: tls/b.pem, servername: b.test }',
        '',
      ].join('\n'),
    )
    const config = await loadConfigFile(file)
    const tls = config.listeners[0].tls!
    t.equal(tls.cert, a.cert, 'the certificate was read')
    t.equal(tls.key, a.key, 'the key was read')
    t.equal(tls.certFile, join(folder, 'tls', 'a.pem'), 'paths are resolved against the config folder')
    t.same([tls.minVersion, tls.clientCa, tls.requireClientCert], ['TLSv1.2', null, false], 'defaults: TLS 1.2, no client certificates')
    t.equal(tls.certificates[0].serverName, 'b.test', 'SNI names are lower-cased')
    t.equal(tls.certificates[0].key, b.key)
    t.same(config.upstreams[0].tls, { ca: b.cert, caFile: join(folder, 'tls', 'b.pem'), servername: 'b.test', rejectUnauthorized: true })
    t.equal(config.listeners[0].maxTunnels, 1024, 'maxTunnels defaults to 1024')
    for (const [how, text] of [['JSON', JSON.stringify(config)], ['inspect', inspect(config, { depth: 10 })], ['spread', JSON.stringify({ ...tls })]]) {
      t.notOk(text.includes('PRIVATE KEY'), `${how} shows no private key`)
    }
    t.ok(JSON.stringify(config).includes('BEGIN CERTIFICATE'), 'certificates (public) are still shown')
  })

  t.test('broken TLS blocks are located errors naming the file and the key', async (t) => {
    const listener = (tls: string) => `listeners:\n  - tls: ${tls}\n${UPSTREAM}`
    const cases: { name: string; text: string; expected: string[] }[] = [
      {
        name: 'a missing certificate file',
        text: listener(`{ cert: ${missing}, key: ${a.keyFile} }`),
        expected: [`listeners[0].tls.cert: cannot read certificate file ${missing}: ENOENT at x.yaml:2:18`],
      },
      {
        name: 'a missing key file',
        text: listener(`{ cert: ${a.certFile}, key: ${missing} }`),
        expected: [`listeners[0].tls.key: cannot read key file ${missing}: ENOENT at x.yaml:2:${25 + a.certFile.length}`],
      },
      {
        name: 'a file that holds no certificate',
        text: listener(`{ cert: ${notPem}, key: ${a.keyFile} }`),
        expected: [`listeners[0].tls.cert: ${notPem} holds no PEM certificate at x.yaml:2:18`],
      },
      {
        name: 'a key that belongs to another certificate',
        text: listener(`{ cert: ${a.certFile}, key: ${b.keyFile} }`),
        expected: [`listeners[0].tls.key: the key in ${b.keyFile} does not belong to the certificate in ${a.certFile} at x.yaml:2:${25 + a.certFile.length}`],
      },
      {
        name: 'an SNI entry whose key is missing',
        text: `listeners:\n  - tls:\n      cert: ${a.certFile}\n      key: ${a.keyFile}\n      certificates:\n        - serverName: b.test\n          cert: ${b.certFile}\n          key: ${missing}\n${UPSTREAM}`,
        expected: [`listeners[0].tls.certificates[0].key: cannot read key file ${missing}: ENOENT at x.yaml:8:16`],
      },
      {
        name: 'a missing client CA',
        text: `listeners:\n  - tls:\n      cert: ${a.certFile}\n      key: ${a.keyFile}\n      clientCa: ${missing}\n${UPSTREAM}`,
        expected: [`listeners[0].tls.clientCa: cannot read CA file ${missing}: ENOENT at x.yaml:5:17`],
      },
      {
        name: 'requireClientCert without clientCa',
        text: `listeners:\n  - tls:\n      cert: ${a.certFile}\n      key: ${a.keyFile}\n      requireClientCert: true\n${UPSTREAM}`,
        expected: ['listeners[0].tls.requireClientCert: requireClientCert needs clientCa: the CA bundle client certificates are verified against at x.yaml:5:26'],
      },
      {
        name: 'TLS 1.1 as the floor',
        text: `listeners:\n  - tls:\n      cert: ${a.certFile}\n      key: ${a.keyFile}\n      minVersion: TLSv1.1\n${UPSTREAM}`,
        expected: ['listeners[0].tls.minVersion: minVersion must be TLSv1.2 or TLSv1.3 at x.yaml:5:19'],
      },
      {
        name: 'a cert without its key',
        text: `listeners:\n  - tls:\n      cert: ${a.certFile}\n${UPSTREAM}`,
        expected: ['listeners[0].tls.key: missing required key "key" at x.yaml:3:7'],
      },
      {
        name: 'an invalid SNI name',
        text: `listeners:\n  - tls:\n      cert: ${a.certFile}\n      key: ${a.keyFile}\n      certificates: [{ serverName: "a b", cert: ${b.certFile}, key: ${b.keyFile} }]\n${UPSTREAM}`,
        expected: ['listeners[0].tls.certificates[0].serverName: invalid host "a b": expected a host name like api.example.com or *.example.com at x.yaml:5:36'],
      },
      {
        name: 'an upstream CA that is missing',
        text: `upstreams:\n  - name: api\n    endpoints: [https://127.0.0.1:3001]\n    tls: { ca: ${missing} }\n`,
        expected: [`upstreams[0].tls.ca: cannot read CA file ${missing}: ENOENT at x.yaml:4:16`],
      },
      {
        name: 'upstream tls without any https endpoint',
        text: `upstreams:\n  - name: api\n    endpoints: [http://127.0.0.1:3001]\n    tls: { rejectUnauthorized: false }\n`,
        expected: ['upstreams[0].tls: tls applies to https:// endpoints, and this upstream has none at x.yaml:4:10'],
      },
      {
        name: 'an unknown key in a TLS block',
        text: listener(`{ cert: ${a.certFile}, key: ${a.keyFile}, ciphers: ALL }`),
        expected: [`listeners[0].tls.ciphers: unknown key "ciphers" at x.yaml:2:${27 + a.certFile.length + a.keyFile.length}`],
      },
    ]
    for (const c of cases) {
      const lines = errorLines(c.text)
      t.same(lines, c.expected, c.name)
      t.notOk(lines.join('\n').includes('PRIVATE KEY'), `${c.name}: no key material in the message`)
    }
  })

  t.test('maxTunnels and shutdown.tunnelGrace are read, and checked', async (t) => {
    const config = parseConfigText(`listeners:\n  - maxTunnels: 10\nshutdown: { tunnelGrace: 2s }\n${UPSTREAM}`, 'x.yaml', {})
    t.equal(config.listeners[0].maxTunnels, 10)
    t.equal(config.shutdown.tunnelGraceMs, 2_000)
    t.equal(parseConfigText(UPSTREAM, 'x.yaml', {}).shutdown.tunnelGraceMs, 5_000, 'tunnelGrace defaults to 5s')
    t.same(errorLines(`listeners:\n  - maxTunnels: -1\n${UPSTREAM}`), ['listeners[0].maxTunnels: maxTunnels must be between 0 and 1000000 at x.yaml:2:17'])
  })
}
