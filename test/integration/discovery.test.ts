import { rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { DEFAULT_HEALTH } from '../../src/config/build-health.js'
import { loadConfigFile } from '../../src/config/load.js'
import type { DiscoveryConfig, HealthConfig } from '../../src/config/types.js'
import type { HealthEvent } from '../../src/health/event-log.js'
import { startBaton, type BatonHandle } from '../../src/index.js'
import { startOnOnePort, type AddressBackend } from '../helpers/address-backends.js'
import { testConfig } from '../helpers/baton-config.js'
import { TestDnsServer } from '../helpers/dns-server.js'
import { startBackends } from '../helpers/fake-backend.js'
import { burst, captureLogger, countBy, sleep, waitForEvent } from '../helpers/healing-rig.js'

/**
 * Service discovery through the real proxy: a DNS server of the test's own on 127.0.0.1 (never a real one)
 * answers A, AAAA and SRV from tables the test changes; the backends are real servers on loopback addresses.
 * Slow start is off so a new endpoint's share is its full weight at once.
 */

const HEALTH: HealthConfig = { ...DEFAULT_HEALTH, slowStart: { ...DEFAULT_HEALTH.slowStart, windowMs: 0 } }

function dnsSource(dns: TestDnsServer, name: string, port: number, family: 4 | 6 | 'any' = 4, intervalMs = 10_000): DiscoveryConfig {
  return { kind: 'dns', name, port, intervalMs, family, resolver: dns.address, scheme: 'http' }
}

async function startDns(t: Test): Promise<TestDnsServer> {
  const dns = await new TestDnsServer().start()
  t.teardown(() => dns.stop())
  return dns
}

async function startAt(t: Test, addresses: string[]): Promise<{ port: number; backends: AddressBackend[] }> {
  const started = await startOnOnePort(addresses)
  t.teardown(() => Promise.all(started.backends.map((b) => b.stop())))
  return started
}

async function startProxy(t: Test, discovery: DiscoveryConfig, logger = captureLogger().logger): Promise<BatonHandle> {
  const baton = await startBaton(testConfig([{ name: 'api', endpoints: [], overrides: { discovery, health: HEALTH } }]), { logger })
  t.teardown(() => baton.close())
  return baton
}

/** Who answered `count` requests through the proxy (x-backend, or the status for a proxy error). */
async function answered(baton: BatonHandle, count: number): Promise<Record<string, number>> {
  return countBy(await burst(baton.listenerUrls[0], count), (s) => s.backend || String(s.status))
}

/** The next discovery event of `kind` after `after` events (so earlier ones do not match). */
function nextEvent(baton: BatonHandle, kind: 'discovery-changed' | 'discovery-failed', after: number): Promise<HealthEvent | null> {
  return waitForEvent(baton, (e) => e.kind === kind && baton.events.list().indexOf(e) >= after, 6_000)
}

const ids = (baton: BatonHandle) => baton.clusters[0].endpoints.map((e) => e.id)

t.test('dns: records added, removed and changed move the traffic; endpoints that stay keep their object', async (t) => {
  const dns = await startDns(t)
  const { port } = await startAt(t, ['127.0.0.2', '127.0.0.3', '127.0.0.4'])
  dns.a.set('api.test', [{ address: '127.0.0.2', ttl: 1 }])
  const baton = await startProxy(t, dnsSource(dns, 'api.test', port))
  t.same(ids(baton), [`127.0.0.2:${port}`], 'the first answer is applied before start returns')
  t.same(await answered(baton, 10), { '127.0.0.2': 10 })
  const kept = baton.clusters[0].endpoints[0]

  let seen = baton.events.list().length
  dns.a.set('api.test', [{ address: '127.0.0.2', ttl: 1 }, { address: '127.0.0.3', ttl: 1 }])
  const added = await nextEvent(baton, 'discovery-changed', seen)
  t.match(added, { upstream: 'api', endpoint: '', data: { added: `127.0.0.3:${port}`, endpoints: 2 } }, 'record added: an event for the upstream')
  t.same(await answered(baton, 20), { '127.0.0.2': 10, '127.0.0.3': 10 }, 'traffic spreads over both')
  t.equal(baton.clusters[0].endpoints.find((e) => e.id === `127.0.0.2:${port}`), kept, 'the endpoint that stayed is the same object (pool, counters)')
  t.ok(kept.stats.snapshot(0).requests >= 20, 'and kept counting')

  seen = baton.events.list().length
  dns.a.set('api.test', [{ address: '127.0.0.3', ttl: 1 }, { address: '127.0.0.4', ttl: 1 }])
  const changed = await nextEvent(baton, 'discovery-changed', seen)
  t.match(changed, { data: { added: `127.0.0.4:${port}`, removed: `127.0.0.2:${port}` } }, 'record changed: one added, one removed')
  t.same(await answered(baton, 20), { '127.0.0.3': 10, '127.0.0.4': 10 }, 'no request reaches the removed address')
  t.same(ids(baton), [`127.0.0.3:${port}`, `127.0.0.4:${port}`])
  t.notOk(baton.events.list().some((e) => e.kind === 'reload'), 'discovery changes are not reload events')
})

t.test('dns: the resolver going down keeps the last good set and raises an event; an empty answer too', async (t) => {
  const dns = await startDns(t)
  const { port } = await startAt(t, ['127.0.0.2', '127.0.0.3', '127.0.0.4'])
  dns.a.set('api.test', [{ address: '127.0.0.2', ttl: 1 }, { address: '127.0.0.3', ttl: 1 }])
  const log = captureLogger()
  const config = testConfig([{ name: 'api', endpoints: [], overrides: { discovery: dnsSource(dns, 'api.test', port), health: HEALTH } }], { logging: { level: 'info', accessLog: false } })
  const baton = await startBaton(config, { logger: log.logger })
  t.teardown(() => baton.close())
  t.equal(ids(baton).length, 2)

  let seen = baton.events.list().length
  await dns.stop()
  const down = await nextEvent(baton, 'discovery-failed', seen)
  t.match(down, { upstream: 'api', data: { error: /^api\.test A: (ECONNREFUSED|ETIMEOUT)$/, kept: 2 } }, 'the resolver is down: an event')
  t.same(await answered(baton, 20), { '127.0.0.2': 10, '127.0.0.3': 10 }, 'the last good set still serves')
  t.ok(log.lines().some((l) => l.level === 40 && l.msg === 'discovery failed: keeping the last good set' && l.upstream === 'api'), 'and a warn line')
  await sleep(1_500)
  t.equal(baton.events.list().filter((e) => e.kind === 'discovery-failed').length, 1, 'one event per failure, not per retry')

  seen = baton.events.list().length
  dns.a.set('api.test', [])
  await dns.start()
  const empty = await nextEvent(baton, 'discovery-failed', seen)
  t.match(empty, { data: { error: /found no endpoint/, kept: 2 } }, 'back up but answering nothing: a failure, the set is kept')
  t.equal(ids(baton).length, 2)

  seen = baton.events.list().length
  dns.a.set('api.test', [{ address: '127.0.0.4', ttl: 1 }])
  await nextEvent(baton, 'discovery-changed', seen)
  t.same(await answered(baton, 10), { '127.0.0.4': 10 }, 'a real answer applies again')
  t.ok(log.lines().some((l) => l.msg === 'discovery recovered'))
})

t.test('dns: a TTL shorter than the interval re-resolves sooner; a longer one waits for the interval', async (t) => {
  const dns = await startDns(t)
  const { port } = await startAt(t, ['127.0.0.2'])
  dns.a.set('short.test', [{ address: '127.0.0.2', ttl: 1 }])
  dns.a.set('long.test', [{ address: '127.0.0.2', ttl: 300 }])
  const config = testConfig([
    { name: 'short', endpoints: [], overrides: { discovery: dnsSource(dns, 'short.test', port, 4, 30_000), health: HEALTH } },
    { name: 'long', endpoints: [], overrides: { discovery: dnsSource(dns, 'long.test', port, 4, 30_000), health: HEALTH } },
  ])
  const baton = await startBaton(config, { logger: captureLogger().logger })
  t.teardown(() => baton.close())
  t.same([dns.count('A', 'short.test'), dns.count('A', 'long.test')], [1, 1], 'one look-up each at start')
  await sleep(2_500)
  t.ok(dns.count('A', 'short.test') >= 2, `TTL 1 s under a 30 s interval: re-resolved about every second (${dns.count('A', 'short.test')} look-ups in 2.5 s)`)
  t.equal(dns.count('A', 'long.test'), 1, 'TTL 300 s: not before the 30 s interval')
})

t.test('dns: AAAA records give [v6]:port endpoints, family any asks for both', async (t) => {
  const dns = await startDns(t)
  const { port } = await startAt(t, ['127.0.0.2', '::1'])
  dns.a.set('both.test', [{ address: '127.0.0.2', ttl: 60 }])
  dns.aaaa.set('both.test', [{ address: '::1', ttl: 60 }])
  const baton = await startProxy(t, dnsSource(dns, 'both.test', port, 'any'))
  t.same(ids(baton), [`127.0.0.2:${port}`, `[::1]:${port}`])
  t.same(baton.clusters[0].endpoints.map((e) => e.url), [`http://127.0.0.2:${port}`, `http://[::1]:${port}`])
  t.same(await answered(baton, 10), { '127.0.0.2': 5, '::1': 5 }, 'both families carry traffic')
})

t.test('srv: ports and weights from the records, targets resolved, the lowest priority only', async (t) => {
  const dns = await startDns(t)
  const [a, b, backup] = await startBackends('a', 'b', 'backup')
  t.teardown(() => Promise.all([a, b, backup].map((x) => x.stop())))
  const portOf = (url: string) => Number(new URL(url).port)
  const records = (wa: number, wb: number) => [
    { priority: 0, weight: wa, port: portOf(a.url), target: 'a.test', ttl: 60 },
    { priority: 0, weight: wb, port: portOf(b.url), target: 'b.test', ttl: 60 },
    { priority: 10, weight: 100, port: portOf(backup.url), target: 'a.test', ttl: 60 },
  ]
  dns.srv.set('_http._tcp.api.test', records(1, 3))
  dns.a.set('a.test', [{ address: '127.0.0.1', ttl: 1 }])
  dns.a.set('b.test', [{ address: '127.0.0.1', ttl: 1 }])
  const baton = await startProxy(t, { kind: 'srv', name: '_http._tcp.api.test', intervalMs: 10_000, family: 4, resolver: dns.address, scheme: 'http' })
  t.same(
    baton.clusters[0].endpoints.map((e) => [e.id, e.weight]).sort(),
    [[`127.0.0.1:${portOf(a.url)}`, 1], [`127.0.0.1:${portOf(b.url)}`, 3]].sort(),
    'one endpoint per record of priority 0, its weight the SRV weight',
  )
  t.same(await answered(baton, 40), { a: 10, b: 30 }, 'traffic follows the SRV weights (smooth weighted round robin: exact)')

  const seen = baton.events.list().length
  const before = baton.clusters[0].endpoints.find((e) => e.id === `127.0.0.1:${portOf(a.url)}`)
  dns.srv.set('_http._tcp.api.test', records(3, 1))
  await nextEvent(baton, 'discovery-changed', seen)
  t.same(await answered(baton, 40), { a: 30, b: 10 }, 'a weight change moves the traffic')
  t.equal(baton.clusters[0].endpoints.find((e) => e.id === before!.id), before, 'and keeps the endpoint object')
  t.equal(backup.requests, 0, 'the backup priority never gets traffic')
})

t.test('file: written, changed, broken (kept, event), fixed; a reload keeps what was discovered', async (t) => {
  const [a, b] = await startBackends('a', 'b')
  t.teardown(() => Promise.all([a.stop(), b.stop()]))
  const dir = t.testdir({ 'endpoints.yaml': `- ${a.url}\n` })
  const list = join(dir, 'endpoints.yaml')
  const configText = (retries: number) =>
    `listeners: [{ port: 0 }]\nadmin: { port: 0 }\nlogging: { level: silent }\nupstreams:\n  - name: api\n    policy: round_robin\n    discovery:\n      file: { path: endpoints.yaml, interval: 30s }\n    retry: { maxRetries: ${retries} }\n    health: { slowStart: { window: 0s } }\n`
  await writeFile(join(dir, 'baton.yaml'), configText(2))
  /** Written aside and renamed into place, as a deploy tool would. */
  const publish = async (text: string) => {
    await writeFile(`${list}.tmp`, text)
    await rename(`${list}.tmp`, list)
  }
  const baton = await startBaton(await loadConfigFile(join(dir, 'baton.yaml')), { logger: captureLogger().logger })
  t.teardown(() => baton.close())
  t.same(await answered(baton, 4), { a: 4 }, 'the file as written at start')

  let seen = baton.events.list().length
  await publish(`- ${a.url}\n- { url: ${b.url}, weight: 3, id: b }\n`)
  const changed = await nextEvent(baton, 'discovery-changed', seen)
  t.match(changed, { upstream: 'api', data: { added: 'b', endpoints: 2 } }, 'changed: seen through the watch, long before the 30 s poll')
  t.same(await answered(baton, 8), { a: 2, b: 6 }, 'with its weights')

  seen = baton.events.list().length
  await publish(`- ${a.url}\n- url: ftp://${b.url.slice(7)}\n`)
  const broken = await nextEvent(baton, 'discovery-failed', seen)
  t.match(broken, { upstream: 'api', data: { error: new RegExp(`^\\[1\\]\\.url: invalid URL "ftp://.*": the scheme must be http or https at ${list}:2:8$`), kept: 2 } }, 'broken: an event naming entry, file and line')
  t.same(await answered(baton, 8), { a: 2, b: 6 }, 'the last good set stays')

  seen = baton.events.list().length
  await publish(`[ "${b.url}" ]\n`)
  const fixed = await nextEvent(baton, 'discovery-changed', seen)
  t.match(fixed, { data: { added: new URL(b.url).host, removed: `${new URL(a.url).host}, b` } }, 'fixed: applied (b under another id: the URL\'s host:port)')
  t.same(await answered(baton, 4), { b: 4 })

  const stayed = baton.clusters[0].endpoints[0]
  await writeFile(join(dir, 'baton.yaml'), configText(1))
  const outcome = await baton.reload()
  t.ok(outcome.ok, 'the config file reloads')
  t.equal(baton.clusters[0].retry.maxRetries, 1, 'with its change')
  t.same(ids(baton), [stayed.id], 'the discovered endpoints stay through it (the file lists none)')
  t.equal(baton.clusters[0].endpoints[0], stayed, 'as the same object')
  t.same(await answered(baton, 4), { b: 4 })
})
