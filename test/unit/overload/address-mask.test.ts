import t from 'tap'
import { AddressMask } from '../../../src/overload/address-mask.js'

t.test('client addresses cut to their prefix (IPv4 and IPv6), the IPv4-mapped form as IPv4', async (t) => {
  const cases: { address: string; v4: number; v6: number; key: string }[] = [
    { address: '10.1.2.3', v4: 32, v6: 64, key: '10.1.2.3' },
    { address: '10.1.2.3', v4: 24, v6: 64, key: '10.1.2.0/24' },
    { address: '10.1.2.3', v4: 16, v6: 64, key: '10.1.0.0/16' },
    { address: '10.1.2.3', v4: 0, v6: 64, key: '0.0.0.0/0' },
    { address: '203.0.113.77', v4: 28, v6: 64, key: '203.0.113.64/28' },
    { address: '::ffff:10.1.2.3', v4: 24, v6: 64, key: '10.1.2.0/24' },
    { address: '::ffff:10.1.2.3', v4: 32, v6: 64, key: '10.1.2.3' },
    { address: '2001:db8:aa:bb:1:2:3:4', v4: 32, v6: 64, key: '2001:db8:aa:bb:0:0:0:0/64' },
    { address: '2001:db8:aa:bb::9', v4: 32, v6: 64, key: '2001:db8:aa:bb:0:0:0:0/64' },
    { address: '2001:db8:aa:bbff::9', v4: 32, v6: 56, key: '2001:db8:aa:bb00:0:0:0:0/56' },
    { address: '2001:db8::1', v4: 32, v6: 48, key: '2001:db8:0:0:0:0:0:0/48' },
    { address: '::1', v4: 32, v6: 64, key: '0:0:0:0:0:0:0:0/64' },
    { address: '2001:db8::1', v4: 32, v6: 128, key: '2001:db8::1' },
    { address: 'fe80::1%eth0', v4: 32, v6: 64, key: 'fe80:0:0:0:0:0:0:0/64' },
    { address: '', v4: 24, v6: 64, key: '' },
  ]
  for (const c of cases) t.equal(new AddressMask(c.v4, c.v6).key(c.address), c.key, `${c.address} /${c.v4} /${c.v6}`)
})

t.test('two addresses of one /24 share a key, of two /24s do not; the last address is remembered', async (t) => {
  const mask = new AddressMask(24, 64)
  t.equal(mask.key('192.0.2.1'), mask.key('192.0.2.200'))
  t.not(mask.key('192.0.2.1'), mask.key('192.0.3.1'))
  const first = mask.key('198.51.100.7')
  t.equal(mask.key('198.51.100.7'), first, 'same address again: the same string')
})
