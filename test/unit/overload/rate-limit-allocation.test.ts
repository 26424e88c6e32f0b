import type { IncomingMessage } from 'node:http'
import t from 'tap'
import { DEFAULT_VIA, defaultListener } from '../../../src/config/build.js'
import type { RateLimitKey } from '../../../src/config/types.js'
import { UpstreamHeaderBuilder } from '../../../src/forward/request-headers.js'
import { RateLimiter } from '../../../src/overload/rate-limiter.js'
import { rateLimitKey } from '../../../src/server/rate-limit-key.js'
import { scavengesDuring } from '../../helpers/scavenges.js'

/**
 * The rate-limit check of a request whose key is already held (the keep-alive client, or any key in the
 * LRU keyed by /32 address) must not allocate: counted in young-generation collections, as the pick
 * no-allocation test does. A control that builds a key string per request proves the counter sees it.
 */
const REQUESTS = 3_000_000
const WARM_UP = 20_000
const MAX_SCAVENGES = 1

const builder = new UpstreamHeaderBuilder(defaultListener({ port: 0 }), DEFAULT_VIA, 'http')
const clients = Array.from({ length: 256 }, (_, k) => ({ rawHeaders: ['Host', 'a'], socket: { remoteAddress: `10.0.0.${k}` } }) as unknown as IncomingMessage)

function limiter(key: RateLimitKey): RateLimiter {
  return new RateLimiter('r', { ratePerSecond: 1e12, burst: 1e12, key, maxKeys: 1000 })
}

/** One client per `run` of `count` requests (keep-alive), or all 256 in turn. */
function check(limit: RateLimiter, count: number, rotate: boolean, allocate: boolean): number {
  let folded = 0
  for (let k = 0; k < count; k++) {
    const req = clients[rotate ? k & 255 : 7]
    const key = allocate ? `${req.socket.remoteAddress}#${k & 255}` : rateLimitKey(limit, req, builder)
    folded ^= limit.take(key, k)
  }
  return folded
}

const CASES: { name: string; key: RateLimitKey; rotate: boolean }[] = [
  { name: 'route bucket', key: { source: 'route' }, rotate: false },
  { name: 'ip/32, keep-alive client', key: { source: 'ip', ipv4Prefix: 32, ipv6Prefix: 64 }, rotate: false },
  { name: 'ip/32, 256 clients in the LRU', key: { source: 'ip', ipv4Prefix: 32, ipv6Prefix: 64 }, rotate: true },
  { name: 'ip/24, keep-alive client', key: { source: 'ip', ipv4Prefix: 24, ipv6Prefix: 64 }, rotate: false },
]

t.test('a rate-limit check for a key already held allocates nothing', async (t) => {
  for (const c of CASES) {
    const limit = limiter(c.key)
    check(limit, WARM_UP, c.rotate, false)
    const scavenges = await scavengesDuring(() => void check(limit, REQUESTS, c.rotate, false))
    t.ok(scavenges <= MAX_SCAVENGES, `${c.name}: ${scavenges} scavenges over ${REQUESTS} checks`)
  }
  const control = limiter({ source: 'ip', ipv4Prefix: 32, ipv6Prefix: 64 })
  check(control, WARM_UP, true, true)
  const scavenges = await scavengesDuring(() => void check(control, REQUESTS, true, true))
  t.ok(scavenges > MAX_SCAVENGES, `control (a key string built per request): ${scavenges} scavenges`)
})
