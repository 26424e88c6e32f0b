import t from 'tap'
import { AddressMask } from '../../../src/overload/address-mask.js'

/** Whether a and b share a bucket under the prefixes. */
const same = (a: string, b: string, v4: number, v6: number): boolean => new AddressMask(v4, v6).key(a) === new AddressMask(v4, v6).key(b)

t.test('addresses share a key exactly when they share the prefix (IPv4, IPv6, IPv4-mapped, zone ids, embedded IPv4)', async (t) => {
  const cases: { a: string; b: string; v4: number; v6: number; shared: boolean }[] = [
    { a: '10.1.2.3', b: '10.1.2.4', v4: 32, v6: 64, shared: false },
    { a: '10.1.2.3', b: '10.1.2.4', v4: 24, v6: 64, shared: true },
    { a: '10.1.2.3', b: '10.1.3.3', v4: 24, v6: 64, shared: false },
    { a: '10.1.2.3', b: '10.1.3.3', v4: 16, v6: 64, shared: true },
    { a: '10.1.2.3', b: '192.0.2.1', v4: 0, v6: 64, shared: true },
    { a: '203.0.113.64', b: '203.0.113.79', v4: 28, v6: 64, shared: true },
    { a: '203.0.113.63', b: '203.0.113.64', v4: 28, v6: 64, shared: false },
    { a: '::ffff:10.1.2.3', b: '10.1.2.9', v4: 24, v6: 64, shared: true },
    { a: '::ffff:10.1.2.3', b: '10.1.2.3', v4: 32, v6: 64, shared: true },
    { a: '2001:db8:aa:bb:1:2:3:4', b: '2001:db8:aa:bb::9', v4: 32, v6: 64, shared: true },
    { a: '2001:db8:aa:bb::1', b: '2001:db8:aa:bc::1', v4: 32, v6: 64, shared: false },
    { a: '2001:db8:aa:bbff::9', b: '2001:db8:aa:bb00::1', v4: 32, v6: 56, shared: true },
    { a: '2001:db8:aa:bbff::9', b: '2001:db8:aa:bc00::1', v4: 32, v6: 56, shared: false },
    { a: '2001:db8::1', b: '2001:0db8:0000:ffff::1', v4: 32, v6: 48, shared: true },
    { a: '2001:DB8:1::1', b: '2001:db8:1:0:0:0:0:2', v4: 32, v6: 64, shared: true },
    { a: '::1', b: '::2', v4: 32, v6: 64, shared: true },
    { a: '::1', b: '::2', v4: 32, v6: 128, shared: false },
    { a: 'fe80::1%eth0', b: 'fe80::2%eth1', v4: 32, v6: 64, shared: true },
    { a: '64:ff9b::1.2.3.4', b: '64:ff9b::1.2.3.5', v4: 32, v6: 120, shared: true },
    { a: '64:ff9b::1.2.3.4', b: '64:ff9b::1.2.4.4', v4: 32, v6: 120, shared: false },
    { a: '1:2:3:4:5:6:7:8', b: '1:2:3:4:5:6:7:9', v4: 32, v6: 112, shared: true },
    { a: '1:2:3:4:5:6:7:8', b: '1:2:3:4:5:6:8:8', v4: 32, v6: 112, shared: false },
  ]
  for (const c of cases) t.equal(same(c.a, c.b, c.v4, c.v6), c.shared, `${c.a} and ${c.b} under /${c.v4} /${c.v6}: ${c.shared ? 'one' : 'two'} bucket(s)`)
})

t.test('full prefixes key by the address itself; a non-address is its own key; the last address is remembered', async (t) => {
  t.equal(new AddressMask(32, 64).key('10.1.2.3'), '10.1.2.3')
  t.equal(new AddressMask(32, 128).key('2001:db8::1'), '2001:db8::1')
  t.equal(new AddressMask(24, 64).key(''), '')
  const mask = new AddressMask(24, 64)
  const first = mask.key('198.51.100.7')
  t.equal(mask.key('198.51.100.7'), first)
  t.not(mask.key('10.0.0.1'), '10.0.0.1', 'under /32 the key is not the address string (it is packed)')
})
