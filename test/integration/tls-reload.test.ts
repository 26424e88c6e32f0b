import t from 'tap'
import { X509Certificate } from 'node:crypto'
import { once } from 'node:events'
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { connect as tlsConnect, type TLSSocket } from 'node:tls'
import { Agent, request } from 'undici'
import { loadConfigFile } from '../../src/config/load.js'
import { startBaton } from '../../src/index.js'
import { hasOpenssl, TestCertificates, type CertPair } from '../helpers/certificates.js'
import { startBackends } from '../helpers/fake-backend.js'

// A renewed certificate through the real reload path (issue 12): Baton started from a YAML file, the files
// overwritten in place as a renewal tool does, then baton.reload() with no argument, which reads the YAML and
// the PEM files again (SIGHUP, `baton reload` and POST /api/reload take the same path).

if (!hasOpenssl()) {
  t.plan(0, 'openssl is not installed (apt-get install openssl): no certificates to test with')
} else {
  const certs = new TestCertificates()
  t.teardown(() => certs.cleanup())

  /** What a client is shown: SHA-256 fingerprint and serial, as node:crypto reads them from the PEM file. */
  const identity = (pair: CertPair) => {
    const x509 = new X509Certificate(pair.cert)
    return { fingerprint256: x509.fingerprint256, serialNumber: x509.serialNumber }
  }

  /** A fresh TLS connection to the listener: the certificate it is served (not verified: we compare it ourselves). */
  function servedIdentity(port: number): Promise<{ fingerprint256: string; serialNumber: string }> {
    return new Promise((resolve, reject) => {
      const socket = tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
        const { fingerprint256, serialNumber } = socket.getPeerCertificate()
        socket.end()
        resolve({ fingerprint256, serialNumber })
      })
      socket.on('error', reject)
    })
  }

  /** A TLS connection left open, to send a request on after the reload. */
  function openSocket(port: number): Promise<TLSSocket> {
    return new Promise((resolve, reject) => {
      const socket = tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => resolve(socket))
      socket.on('error', reject)
    })
  }

  /** GET / on an open socket; resolves with the status line. */
  async function statusLineOn(socket: TLSSocket): Promise<string> {
    socket.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n')
    let text = ''
    socket.setEncoding('utf8')
    socket.on('data', (chunk: string) => (text += chunk))
    await once(socket, 'end')
    return text.split('\r\n')[0] ?? ''
  }

  /** GET / verifying the listener against `ca` (and 127.0.0.1 in its names) on a new connection. */
  async function verifiedGet(url: string, ca: string): Promise<number> {
    const agent = new Agent({ connect: { ca } })
    try {
      const res = await request(`${url}/`, { dispatcher: agent })
      await res.body.dump()
      return res.statusCode
    } finally {
      await agent.close()
    }
  }

  t.test('a renewed certificate is served after baton.reload() on the same port; a reload naming a missing key is refused', async (t) => {
    const [backend] = await startBackends('a')
    t.teardown(() => backend.stop())
    const a = certs.selfSigned('a.test', 'DNS:a.test,IP:127.0.0.1')
    const b = certs.selfSigned('b.test', 'DNS:b.test,IP:127.0.0.1')
    t.not(identity(a).fingerprint256, identity(b).fingerprint256, 'A and B are different certificates')
    t.not(identity(a).serialNumber, identity(b).serialNumber, 'with different serials')

    const dir = join(certs.dir, 'tls-reload')
    mkdirSync(dir)
    const certFile = join(dir, 'cert.pem')
    const keyFile = join(dir, 'key.pem')
    copyFileSync(a.certFile, certFile)
    copyFileSync(a.keyFile, keyFile)
    const file = join(dir, 'baton.yaml')
    // port 0: a listener rebound by the reload would get another free port, so "same port" means "same socket".
    const yaml = (key: string): string =>
      [
        'listeners:',
        '  - name: tls',
        '    port: 0',
        '    tls:',
        '      cert: cert.pem',
        `      key: ${key}`,
        'admin: { enabled: false }',
        'logging: { level: silent }',
        'upstreams:',
        '  - name: app',
        `    endpoints: [${backend.url}]`,
        '',
      ].join('\n')
    writeFileSync(file, yaml('key.pem'))

    const baton = await startBaton(await loadConfigFile(file))
    const sockets: TLSSocket[] = []
    t.teardown(async () => {
      for (const s of sockets) s.destroy() // a failed check leaves one open: the drain would wait for it
      await baton.close()
    })
    const url = baton.listenerUrls[0]
    const port = Number(new URL(url).port)
    t.match(url, /^https:\/\/127\.0\.0\.1:\d+$/)
    t.same(await servedIdentity(port), identity(a), 'certificate A (fingerprint and serial) is served')
    t.equal(await verifiedGet(url, a.cert), 200, 'a client trusting A is served')
    const openBefore = await openSocket(port)
    sockets.push(openBefore)

    // The renewal: both files overwritten in place, then a reload from the file.
    copyFileSync(b.certFile, certFile)
    copyFileSync(b.keyFile, keyFile)
    t.same(await servedIdentity(port), identity(a), 'overwriting the files alone changes nothing: they are read at load')
    const renewed = await baton.reload()
    t.ok(renewed.ok, `the reload is applied (${renewed.ok ? '' : renewed.errors.join('; ')})`)
    if (renewed.ok) t.same(renewed.diff.listeners, { added: [], removed: [], changed: ['tls'] }, 'the diff names the listener as changed')
    t.equal(baton.listenerUrls[0], url, 'the listener keeps its port')
    t.same(await servedIdentity(port), identity(b), 'new TLS connections get certificate B')
    t.equal(await verifiedGet(url, b.cert), 200, 'a client trusting B is served')
    await t.rejects(verifiedGet(url, a.cert), 'a client trusting only A no longer verifies the listener')
    t.equal(openBefore.getPeerCertificate().fingerprint256, identity(a).fingerprint256, 'a connection opened before keeps A')
    t.equal(await statusLineOn(openBefore), 'HTTP/1.1 200 OK', 'and is still served: the socket was not rebound')

    // A broken reload: the YAML names a key file that does not exist.
    writeFileSync(file, yaml('missing.pem'))
    const keyLine = yaml('missing.pem').split('\n').findIndex((l) => l.includes('key: missing.pem')) + 1
    const refused = await baton.reload()
    t.equal(refused.ok, false, 'the reload is refused')
    const errors = refused.ok ? [] : refused.errors
    t.equal(errors.length, 1, `one error (${errors.join('; ')})`)
    t.match(
      errors[0],
      new RegExp(`^listeners\\[0\\]\\.tls\\.key: cannot read key file .*missing\\.pem: ENOENT at ${escape(file)}:${keyLine}:\\d+$`),
      'it names the key, the missing file, and file:line of the key',
    )
    t.ok(baton.events.list().some((e) => e.kind === 'reload-failed'), 'a reload-failed event')
    t.equal(baton.listenerUrls[0], url, 'the listener keeps its port')
    t.same(await servedIdentity(port), identity(b), 'certificate B keeps being served')
    t.equal(await verifiedGet(url, b.cert), 200, 'and requests with it')
  })
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
