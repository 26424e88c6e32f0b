import t from 'tap'
import { addressEndpoint, clampWeight, mergeById, sameEndpoints, sortEndpoints } from '../../../src/discovery/endpoint-set.js'
import { ep } from './fixtures.js'

t.test('an address becomes id host:port (IPv6 in brackets) and an origin URL like the config builds', async (t) => {
  t.same(addressEndpoint('http', '10.0.0.1', 8080, 1), { id: '10.0.0.1:8080', url: 'http://10.0.0.1:8080', weight: 1 })
  t.same(addressEndpoint('http', '::1', 9000, 3), { id: '[::1]:9000', url: 'http://[::1]:9000', weight: 3 })
  t.same(addressEndpoint('http', '2001:db8::1', 80, 1), { id: '[2001:db8::1]:80', url: 'http://[2001:db8::1]', weight: 1 }, 'the default port leaves the URL, not the id')
  t.same(addressEndpoint('https', '10.0.0.1', 443, 1).url, 'https://10.0.0.1')
})

t.test('weights are clamped to 1..10000', async (t) => {
  t.same([0, 0.4, 1, 7, 10_000, 65_535].map(clampWeight), [1, 1, 1, 7, 10_000, 10_000])
})

t.test('sets compare sorted, by id, URL and weight; repeats merge with summed weights', async (t) => {
  const a = sortEndpoints([ep('b:1'), ep('a:1')])
  t.same(a.map((e) => e.id), ['a:1', 'b:1'])
  t.ok(sameEndpoints(a, sortEndpoints([ep('a:1'), ep('b:1')])))
  t.notOk(sameEndpoints(a, [ep('a:1'), ep('b:1', 2)]))
  t.notOk(sameEndpoints(a, [ep('a:1')]))
  t.same(mergeById([ep('a:1', 2), ep('b:1'), ep('a:1', 3)]), [ep('a:1', 5), ep('b:1')])
  t.same(mergeById([ep('a:1', 9_000), ep('a:1', 9_000)]), [ep('a:1', 10_000)])
})
