import t, { type Test } from 'tap'
import { once } from 'node:events'
import { copyFileSync, writeFileSync } from 'node:fs'
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { connect as tlsConnect, createServer as createTlsServer, type ConnectionOptions, type PeerCertificate } from 'node:tls'
import { Agent, request } from 'undici'
import WebSocket from 'ws'
import { defaultListener } from '../../src/config/build.js'
import { loadConfigFile } from '../../src/config/load.js'
import type { ActiveHealthConfig, ListenerTlsConfig, UpstreamTlsConfig } from '../../src/config/types.js'
import { startBaton } from '../../src/index.js'
import { testConfig } from '../helpers/baton-config.js'
import { hasOpenssl, TestCertificates, type CertPair } from '../helpers/certificates.js'
import { startBackends } from '../helpers/fake-backend.js'
import { eventually } from '../helpers/harness.js'
import { startServerRig } from '../helpers/proxy-server-rig.js'
import { nextMessage, WsEchoBackend } from '../helpers/ws-backend.js'

// TLS termination on listeners and verification of https:// upstreams (issue 12). Every certificate is made
// here with openssl, in a temp folder removed at the end.

if (!hasOpenssl()) {
  t.plan(0, 'openssl is not installed (apt-get install openssl): no certificates to test with')
} else {
  const certs = new TestCertificates()
  t.teardown(() => certs.cleanup())
  const server = certs.selfSigned('localhost', 'DNS:localhost,IP:127.0.0.1')

  /** A listener's TLS block built in code, as tls-files.ts builds it from YAML. */
  function listenerTls(pair: CertPair, extra: Partial<ListenerTlsConfig> = {}): ListenerTlsConfig {
    return {
      cert: pair.cert,
      key: pair.key,
      certFile: pair.certFile,
      keyFile: pair.keyFile,
      certificates: [],
      minVersion: 'TLSv1.2',
      clientCa: null,
      clientCaFile: null,
      requireClientCert: false,
      ...extra,
    }
  }

  function upstreamTls(extra: Partial<UpstreamTlsConfig>): UpstreamTlsConfig {
    return { ca: null, caFile: null, servername: null, rejectUnauthorized: true, ...extra }
  }

  /** A Baton with one TLS listener in front of one echo backend. */
  async function tlsRig(tap: Test, tls: ListenerTlsConfig) {
    const [backend] = await startBackends('a')
    const baton = await startBaton(testConfig([{ endpoints: [backend.url] }], { listeners: [defaultListener({ name: 'tls', port: 0, tls })] }))
    tap.teardown(async () => {
      await baton.close()
      await backend.stop()
    })
    return { baton, url: baton.listenerUrls[0], backend }
  }

  /** An undici agent trusting `ca`, optionally presenting a client certificate. */
  function agent(tap: Test, ca: string, client: CertPair | null = null): Agent {
    const connect: ConnectionOptions = { ca }
    if (client !== null) Object.assign(connect, { cert: client.cert, key: client.key })
    const a = new Agent({ connect })
    tap.teardown(() => a.close())
    return a
  }

  /** The certificate a TLS client is shown for `servername`, and the protocol spoken; rejects when the handshake fails. */
  function handshake(port: number, options: ConnectionOptions): Promise<{ cert: PeerCertificate; protocol: string | null }> {
    return new Promise((resolve, reject) => {
      const socket = tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...options }, () => {
        const result = { cert: socket.getPeerCertificate(), protocol: socket.getProtocol() }
        socket.end()
        resolve(result)
      })
      socket.on('error', reject)
    })
  }

  const portOf = (url: string): number => Number(new URL(url).port)

  t.test('a TLS listener serves requests, and the backend sees X-Forwarded-Proto: https', async (t) => {
    const { url } = await tlsRig(t, listenerTls(server))
    t.match(url, /^https:\/\/127\.0\.0\.1:\d+$/, 'its URL says https')
    const res = await request(`${url}/echo`, { dispatcher: agent(t, server.cert), headers: { 'x-forwarded-proto': 'http' } })
    t.equal(res.statusCode, 200)
    const { headers } = (await res.body.json()) as { headers: string[] }
    const proto = headers.filter((_, i) => i % 2 === 1 && headers[i - 1].toLowerCase() === 'x-forwarded-proto')
    t.same(proto, ['https'], 'X-Forwarded-Proto is the listener scheme, never the client’s')
    const { protocol } = await handshake(portOf(url), {})
    t.ok(protocol === 'TLSv1.2' || protocol === 'TLSv1.3', `a modern protocol (${protocol})`)
  })

  t.test('SNI picks the certificate: exact names, a wildcard, else the default', async (t) => {
    const api = certs.selfSigned('api.test')
    const wild = certs.selfSigned('*.wild.test', 'DNS:*.wild.test')
    const sni = (serverName: string, pair: CertPair) => ({ serverName, cert: pair.cert, key: pair.key, certFile: pair.certFile, keyFile: pair.keyFile })
    const { url } = await tlsRig(t, listenerTls(server, { certificates: [sni('api.test', api), sni('*.wild.test', wild)] }))
    const cases: [string, string, string][] = [
      ['api.test', 'api.test', 'DNS:api.test'],
      ['API.TEST', 'api.test', 'DNS:api.test'],
      ['a.wild.test', '*.wild.test', 'DNS:*.wild.test'],
      ['a.b.wild.test', 'localhost', 'DNS:localhost, IP Address:127.0.0.1'],
      ['other.test', 'localhost', 'DNS:localhost, IP Address:127.0.0.1'],
    ]
    for (const [servername, cn, san] of cases) {
      const { cert } = await handshake(portOf(url), { servername })
      t.equal(cert.subject.CN, cn, `SNI ${servername}: CN ${cn}`)
      t.equal(cert.subjectaltname, san, `SNI ${servername}: SAN ${san}`)
    }
    const res = await request(`${url}/`, { dispatcher: new Agent({ connect: { ca: api.cert, servername: 'api.test' } }) })
    t.equal(res.statusCode, 200, 'a client verifying the SNI certificate is served')
    await res.body.dump()
  })

  t.test('minVersion: TLSv1.3 refuses a TLS 1.2 client', async (t) => {
    const { url } = await tlsRig(t, listenerTls(server, { minVersion: 'TLSv1.3' }))
    await t.rejects(handshake(portOf(url), { maxVersion: 'TLSv1.2' }), 'the TLS 1.2 handshake fails')
    t.equal((await handshake(portOf(url), {})).protocol, 'TLSv1.3', 'TLS 1.3 is served')
  })

  // Refusing TLS 1.1 is only meaningful where this OpenSSL can speak it at all: check against a server that allows it.
  const old: ConnectionOptions = { minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' }
  const control = createTlsServer({ cert: server.cert, key: server.key, minVersion: 'TLSv1', ciphers: 'DEFAULT@SECLEVEL=0' }, (s) => s.end())
  control.on('tlsClientError', () => {})
  control.listen(0, '127.0.0.1')
  await once(control, 'listening')
  const tls11Works = await handshake((control.address() as AddressInfo).port, old).then(
    (r) => r.protocol === 'TLSv1.1',
    () => false,
  )
  control.close()
  const noTls11 = 'the local OpenSSL cannot negotiate TLS 1.1 even with a server that allows it, so a refusal would prove nothing'

  t.test('minVersion: the default TLSv1.2 refuses a TLS 1.1 client', { skip: tls11Works ? false : noTls11 }, async (t) => {
    const { url } = await tlsRig(t, listenerTls(server))
    await t.rejects(handshake(portOf(url), old), 'the TLS 1.1 handshake fails')
    t.equal((await handshake(portOf(url), { maxVersion: 'TLSv1.2' })).protocol, 'TLSv1.2', 'TLS 1.2 is served')
  })

  t.test('requireClientCert: only clients with a certificate from clientCa are served', async (t) => {
    const ca = certs.authority('Baton Test Client CA')
    const client = certs.signed(ca, 'client-1')
    const stranger = certs.signed(certs.authority('Other CA'), 'stranger')
    const { url } = await tlsRig(t, listenerTls(server, { clientCa: ca.cert, clientCaFile: ca.certFile, requireClientCert: true }))
    const ok = await request(`${url}/`, { dispatcher: agent(t, server.cert, client) })
    t.equal(ok.statusCode, 200, 'a verified client certificate is served')
    await ok.body.dump()
    await t.rejects(request(`${url}/`, { dispatcher: agent(t, server.cert) }), 'no certificate: refused in the handshake')
    await t.rejects(request(`${url}/`, { dispatcher: agent(t, server.cert, stranger) }), 'a certificate from another CA: refused')
  })

  t.test('clientCa without requireClientCert: no certificate is fine, one that does not verify is not', async (t) => {
    const ca = certs.authority('Optional CA')
    const client = certs.signed(ca, 'client-2')
    const stranger = certs.signed(certs.authority('Another CA'), 'stranger-2')
    const { url } = await tlsRig(t, listenerTls(server, { clientCa: ca.cert, clientCaFile: ca.certFile }))
    for (const [name, who] of [['no certificate', null], ['a verified one', client]] as const) {
      const res = await request(`${url}/`, { dispatcher: agent(t, server.cert, who) })
      t.equal(res.statusCode, 200, `${name}: served`)
      await res.body.dump()
    }
    await t.rejects(request(`${url}/`, { dispatcher: agent(t, server.cert, stranger) }), 'an unverifiable certificate: disconnected')
  })

  t.test('a renewed certificate is read again at load and taken by updateTls() without a restart', async (t) => {
    const [backend] = await startBackends('a')
    t.teardown(() => backend.stop())
    const dir = join(certs.dir, 'renewal')
    const { mkdirSync } = await import('node:fs')
    mkdirSync(dir)
    const first = certs.selfSigned('first.test', 'DNS:first.test,IP:127.0.0.1')
    const renewed = certs.selfSigned('renewed.test', 'DNS:renewed.test,IP:127.0.0.1')
    copyFileSync(first.certFile, join(dir, 'cert.pem'))
    copyFileSync(first.keyFile, join(dir, 'key.pem'))
    const file = join(dir, 'baton.yaml')
    writeFileSync(
      file,
      `listeners:\n  - name: tls\n    port: 0\n    tls: { cert: cert.pem, key: key.pem }\nadmin: { enabled: false }\nlogging: { level: silent }\nupstreams:\n  - name: app\n    endpoints: [${backend.url}]\n`,
    )
    const config = await loadConfigFile(file)
    const { server: proxy, url } = await startServerRig(t, config)
    t.equal((await handshake(portOf(url), {})).cert.subject.CN, 'first.test', 'serves the first certificate')
    const keepAlive = await handshakeSocket(portOf(url))
    copyFileSync(renewed.certFile, join(dir, 'cert.pem'))
    copyFileSync(renewed.keyFile, join(dir, 'key.pem'))
    const reloaded = await loadConfigFile(file) // what a reload does: the files are read again
    t.equal(proxy.updateTls(reloaded.listeners[0]), true, 'applied in place')
    t.equal((await handshake(portOf(url), {})).cert.subject.CN, 'renewed.test', 'new handshakes get the renewed certificate')
    t.equal(keepAlive.getPeerCertificate().subject.CN, 'first.test', 'a connection already open keeps its certificate')
    keepAlive.destroy()
    const res = await request(`${url}/`, { dispatcher: agent(t, renewed.cert) })
    t.equal(res.statusCode, 200, 'and requests are served with it')
    await res.body.dump()
    t.equal(proxy.updateTls({ ...reloaded.listeners[0], tls: null }), false, 'TLS cannot be turned off in place')
  })

  t.test('WebSocket over a TLS listener (wss://)', async (t) => {
    const backend = await new WsEchoBackend().start()
    const baton = await startBaton(testConfig([{ endpoints: [backend.url] }], { listeners: [defaultListener({ name: 'tls', port: 0, tls: listenerTls(server) })] }))
    t.teardown(async () => {
      await baton.close()
      await backend.stop()
    })
    const ws = new WebSocket(`${baton.listenerUrls[0].replace('https', 'wss')}/`, { ca: server.cert })
    await once(ws, 'open')
    ws.send('secure hello')
    t.equal((await nextMessage(ws)).toString(), 'secure hello')
    t.same(backend.handshakes[0].headers['x-forwarded-proto'], 'https')
    ws.close()
    await once(ws, 'close')
  })

  /** An https backend answering "ok from tls" with `pair`. */
  async function httpsBackend(tap: Test, pair: CertPair): Promise<{ url: string; server: HttpsServer }> {
    const backend = createHttpsServer({ cert: pair.cert, key: pair.key }, (_req, res) => res.end('ok from tls'))
    backend.on('tlsClientError', () => {})
    backend.listen(0, '127.0.0.1')
    await once(backend, 'listening')
    tap.teardown(() => {
      backend.closeAllConnections()
      backend.close()
    })
    return { url: `https://127.0.0.1:${(backend.address() as AddressInfo).port}`, server: backend }
  }

  t.test('an https upstream with a self-signed certificate is refused (502, a connect failure) unless its CA is configured', async (t) => {
    const self = certs.selfSigned('backend.test', 'DNS:backend.test,IP:127.0.0.1')
    const { url: backendUrl } = await httpsBackend(t, self)
    const untrusted = await startBaton(testConfig([{ endpoints: [backendUrl] }]))
    t.teardown(() => untrusted.close())
    for (let i = 0; i < 3; i++) {
      const res = await request(`${untrusted.listenerUrls[0]}/`)
      t.equal(res.statusCode, 502, `try ${i + 1}: 502`)
      t.match(await res.body.json(), { error: 'BATON_UPSTREAM_TLS' })
    }
    const endpoint = untrusted.clusters[0].endpoints[0]
    t.same(endpoint.stats.snapshot(0).errorsByCode, { BATON_UPSTREAM_TLS: 3 }, 'counted against the endpoint')
    t.ok(
      await eventually(() => untrusted.events.list().some((e) => e.kind === 'ejected' && e.cause.includes('gateway'))),
      `three in a row eject it as gateway errors, like refused connects (${JSON.stringify(untrusted.events.list().map((e) => [e.kind, e.cause]))})`,
    )

    const trusted = await startBaton(testConfig([{ endpoints: [backendUrl], overrides: { tls: upstreamTls({ ca: self.cert }) } }]))
    t.teardown(() => trusted.close())
    const res = await request(`${trusted.listenerUrls[0]}/`)
    t.equal(res.statusCode, 200, 'with its CA configured it is served')
    t.equal(await res.body.text(), 'ok from tls')
  })

  t.test('an https upstream is checked against servername when set, and active checks verify it too', async (t) => {
    const named = certs.selfSigned('only.test') // no IP in its names
    const { url: backendUrl } = await httpsBackend(t, named)
    const active: ActiveHealthConfig = {
      method: 'GET', path: '/', expectedStatusMin: 200, expectedStatusMax: 399, bodyContains: null,
      intervalMs: 50, jitterMs: 0, unhealthyIntervalMs: 50, timeoutMs: 1_000, rise: 1, fall: 1, initialState: 'healthy',
    }
    const withoutName = await startBaton(testConfig([{ endpoints: [backendUrl], overrides: { tls: upstreamTls({ ca: named.cert }) } }]))
    t.teardown(() => withoutName.close())
    const wrong = await request(`${withoutName.listenerUrls[0]}/`)
    t.equal(wrong.statusCode, 502, 'the URL says 127.0.0.1, which the certificate does not name')
    await wrong.body.dump()

    const base = testConfig([{ endpoints: [backendUrl] }])
    const health = { ...base.upstreams[0].health, active }
    const withName = await startBaton(testConfig([{ endpoints: [backendUrl], overrides: { tls: upstreamTls({ ca: named.cert, servername: 'only.test' }), health } }]))
    t.teardown(() => withName.close())
    const res = await request(`${withName.listenerUrls[0]}/`)
    t.equal(res.statusCode, 200, 'servername only.test verifies')
    await res.body.dump()
    const checker = withName.clusters[0].checker!
    t.ok(await eventually(() => checker.lastCheck(0) !== null), 'an active check ran')
    t.same([checker.lastCheck(0)!.status, checker.lastCheck(0)!.error], [200, null], 'over TLS, verified with the same CA and name')
  })

  t.test('a wss:// backend behind an https:// endpoint', async (t) => {
    const pair = certs.selfSigned('ws-backend.test', 'DNS:ws-backend.test,IP:127.0.0.1')
    const https = createHttpsServer({ cert: pair.cert, key: pair.key })
    const { WebSocketServer } = await import('ws')
    const wss = new WebSocketServer({ server: https })
    wss.on('connection', (ws) => ws.on('message', (data, binary) => ws.send(data, { binary })))
    https.listen(0, '127.0.0.1')
    await once(https, 'listening')
    t.teardown(() => {
      for (const c of wss.clients) c.terminate()
      wss.close()
      https.close()
    })
    const baton = await startBaton(
      testConfig([{ endpoints: [`https://127.0.0.1:${(https.address() as AddressInfo).port}`], overrides: { tls: upstreamTls({ ca: pair.cert }) } }]),
    )
    t.teardown(() => baton.close())
    const ws = new WebSocket(`${baton.listenerUrls[0].replace('http', 'ws')}/`)
    await once(ws, 'open')
    ws.send('through TLS upstream')
    t.equal((await nextMessage(ws)).toString(), 'through TLS upstream')
    ws.close()
    await once(ws, 'close')
  })
}

/** A TLS connection left open (to see that a renewal leaves it as it was). */
function handshakeSocket(port: number): Promise<import('node:tls').TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => resolve(socket))
    socket.on('error', reject)
  })
}
