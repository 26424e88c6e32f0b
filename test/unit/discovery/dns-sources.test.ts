import type { RecordWithTtl, SrvRecord } from 'node:dns'
import t from 'tap'
import type { SrvDiscoveryConfig } from '../../../src/config/types.js'
import type { DnsClient } from '../../../src/discovery/dns-client.js'
import { DnsSource } from '../../../src/discovery/dns-source.js'
import { DiscoveryError } from '../../../src/discovery/source.js'
import { SrvSource } from '../../../src/discovery/srv-source.js'
import { DNS } from './fixtures.js'

/** Answers from tables: a name → records, or an error code to fail with. */
class FakeClient implements DnsClient {
  a = new Map<string, RecordWithTtl[] | string>()
  aaaa = new Map<string, RecordWithTtl[] | string>()
  srv = new Map<string, SrvRecord[] | string>()
  asked: string[] = []
  cancelled = false

  resolve4(name: string): Promise<RecordWithTtl[]> {
    return this.answer(this.a, `A ${name}`, name)
  }

  resolve6(name: string): Promise<RecordWithTtl[]> {
    return this.answer(this.aaaa, `AAAA ${name}`, name)
  }

  resolveSrv(name: string): Promise<SrvRecord[]> {
    return this.answer(this.srv, `SRV ${name}`, name)
  }

  cancel(): void {
    this.cancelled = true
  }

  private async answer<T>(table: Map<string, T[] | string>, what: string, name: string): Promise<T[]> {
    this.asked.push(what)
    const found = table.get(name) ?? 'ENOTFOUND'
    if (typeof found === 'string') throw Object.assign(new Error(`query ${what} failed`), { code: found })
    return found
  }
}

const SRV: SrvDiscoveryConfig = { kind: 'srv', name: '_http._tcp.api.test', intervalMs: 10_000, family: 4, resolver: null, scheme: 'http' }

t.test('dns: A and AAAA by family, one endpoint per address on the port, the shortest TTL', async (t) => {
  const client = new FakeClient()
  client.a.set('api.test', [{ address: '10.0.0.2', ttl: 30 }, { address: '10.0.0.1', ttl: 5 }])
  client.aaaa.set('api.test', [{ address: '2001:db8::1', ttl: 20 }])
  const cases: [4 | 6 | 'any', string[], number][] = [
    [4, ['10.0.0.2:8080', '10.0.0.1:8080'], 5_000],
    [6, ['[2001:db8::1]:8080'], 20_000],
    ['any', ['10.0.0.2:8080', '10.0.0.1:8080', '[2001:db8::1]:8080'], 5_000],
  ]
  for (const [family, ids, ttlMs] of cases) {
    const found = await new DnsSource({ ...DNS, family }, client).read()
    t.same(found.endpoints.map((e) => e.id), ids, `family ${family}`)
    t.equal(found.ttlMs, ttlMs)
    t.ok(found.endpoints.every((e) => e.weight === 1 && e.url === `http://${e.id}`))
  }
})

t.test('dns: no such name or no records is an empty answer; any other error fails the read', async (t) => {
  const client = new FakeClient()
  client.a.set('api.test', 'ENODATA')
  t.same(await new DnsSource({ ...DNS, family: 4 }, client).read(), { endpoints: [], ttlMs: null })
  t.same((await new DnsSource({ ...DNS, name: 'gone.test' }, client).read()).endpoints, [], 'NXDOMAIN')
  client.a.set('api.test', [{ address: '10.0.0.1', ttl: 5 }])
  client.aaaa.set('api.test', 'ETIMEOUT')
  await t.rejects(new DnsSource(DNS, client).read(), new DiscoveryError('api.test AAAA: ETIMEOUT'), 'one family failing fails the read (the set would shrink)')
  client.a.set('api.test', 'ECONNREFUSED')
  await t.rejects(new DnsSource({ ...DNS, family: 4 }, client).read(), { message: 'api.test A: ECONNREFUSED' })
  const source = new DnsSource(DNS, client)
  source.close()
  t.ok(client.cancelled, 'close cancels the queries under way')
})

t.test('srv: the lowest priority, targets resolved, weights from the records (shared by addresses, clamped)', async (t) => {
  const client = new FakeClient()
  client.srv.set('_http._tcp.api.test', [
    { priority: 10, weight: 1, port: 8001, name: 'a.test' },
    { priority: 10, weight: 3, port: 8002, name: 'b.test' },
    { priority: 10, weight: 0, port: 8003, name: 'c.test' },
    { priority: 10, weight: 65_535, port: 8004, name: 'd.test' },
    { priority: 10, weight: 8, port: 8005, name: 'two.test' },
    { priority: 20, weight: 5, port: 9000, name: 'backup.test' },
  ])
  client.a.set('a.test', [{ address: '10.0.0.1', ttl: 60 }])
  client.a.set('b.test', [{ address: '10.0.0.2', ttl: 7 }])
  client.a.set('c.test', [{ address: '10.0.0.3', ttl: 60 }])
  client.a.set('d.test', [{ address: '10.0.0.4', ttl: 60 }])
  client.a.set('two.test', [{ address: '10.0.0.5', ttl: 60 }, { address: '10.0.0.6', ttl: 60 }])
  client.a.set('backup.test', [{ address: '10.0.0.9', ttl: 60 }])
  const found = await new SrvSource(SRV, client).read()
  t.same(
    found.endpoints.map((e) => [e.id, e.weight]),
    [
      ['10.0.0.1:8001', 1],
      ['10.0.0.2:8002', 3],
      ['10.0.0.3:8003', 1],
      ['10.0.0.4:8004', 10_000],
      ['10.0.0.5:8005', 4],
      ['10.0.0.6:8005', 4],
    ],
  )
  t.equal(found.ttlMs, 7_000, 'the shortest target TTL')
  t.notOk(client.asked.includes('A backup.test'), 'backup priorities are not resolved')
})

t.test('srv: "." and targets without addresses are skipped; a target failing fails the read; IP targets need no look-up', async (t) => {
  const client = new FakeClient()
  client.srv.set('_http._tcp.api.test', [
    { priority: 0, weight: 1, port: 8001, name: 'a.test' },
    { priority: 0, weight: 1, port: 8002, name: 'gone.test' },
    { priority: 0, weight: 1, port: 8003, name: '.' },
    { priority: 0, weight: 1, port: 8004, name: '10.0.0.7' },
  ])
  client.a.set('a.test', [{ address: '10.0.0.1', ttl: 60 }])
  const found = await new SrvSource(SRV, client).read()
  t.same(found.endpoints.map((e) => e.id), ['10.0.0.1:8001', '10.0.0.7:8004'])
  client.a.set('a.test', 'ESERVFAIL')
  await t.rejects(new SrvSource(SRV, client).read(), { message: 'a.test A: ESERVFAIL' })
  client.srv.set('_http._tcp.api.test', 'ENOTFOUND')
  t.same((await new SrvSource(SRV, client).read()).endpoints, [], 'no SRV records: an empty answer')
  client.srv.set('_http._tcp.api.test', 'ECONNREFUSED')
  await t.rejects(new SrvSource(SRV, client).read(), { message: '_http._tcp.api.test SRV: ECONNREFUSED' })
})
