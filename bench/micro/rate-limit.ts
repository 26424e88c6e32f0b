/**
 * Cost of the rate-limit check a request on a limited route pays in the request entry: the bucket key from the
 * request (server/rate-limit-key.ts) plus RateLimiter.take (a token bucket in the LRU, overload/bucket-lru.ts).
 *   npm run build && node dist/bench/micro/rate-limit.js
 * Rows:
 *   - baseline: the harness alone (reading the request's address, folding a checksum);
 *   - route: one bucket for the route;
 *   - ip/32, one client: the keep-alive case, the key remembered from the previous request;
 *   - ip/32, 10 000 clients: a different address every request, each already in the LRU (Map lookup + relink);
 *   - ip/24 and ip/64 (IPv6), 64 clients rotating: the prefix recomputed every request (worst case: a new
 *     connection per request), each key in the LRU;
 *   - ip/32, 200 000 clients through an LRU of 100 000: every request evicts one key (an address spray);
 *   - header:x-api-key behind a trusted proxy, 1000 keys.
 * Buckets never run dry (huge rate), so every row measures the admitted path.
 */
import type { IncomingMessage } from 'node:http'
import { DEFAULT_VIA, defaultListener } from '../../src/config/build.js'
import type { RateLimitConfig, RateLimitKey } from '../../src/config/types.js'
import { UpstreamHeaderBuilder } from '../../src/forward/request-headers.js'
import { RateLimiter } from '../../src/overload/rate-limiter.js'
import { rateLimitKey } from '../../src/server/rate-limit-key.js'
import { systemClock } from '../../src/util/clock.js'
import { formatTable } from '../lib/table.js'
import { BATCH_MS, BATCHES, checksum, nsPerCall } from './micro-harness.js'



const HEADERS = ['Host', 'api.example.com', 'User-Agent', 'curl/8.5', 'Accept', '*/*', 'Accept-Encoding', 'gzip', 'Connection', 'keep-alive']

/** `n` requests from distinct addresses made by `address(k)`, with `extra` header pairs. */
function requests(n: number, address: (k: number) => string, extra: (k: number) => string[] = () => []): IncomingMessage[] {
  return Array.from({ length: n }, (_, k) => ({ rawHeaders: [...HEADERS, ...extra(k)], socket: { remoteAddress: address(k) } }) as unknown as IncomingMessage)
}

const v4 = (k: number): string => `10.${(k >> 16) & 255}.${(k >> 8) & 255}.${k & 255}`
const v6 = (k: number): string => `2001:db8:${(k >> 8).toString(16)}:${(k & 255).toString(16)}::1`


function limiter(key: RateLimitKey, maxKeys = 100_000): RateLimiter {
  const config: RateLimitConfig = { ratePerSecond: 1e12, burst: 1e12, key, maxKeys }
  return new RateLimiter('bench', config)
}

function checkCost(limit: RateLimiter | null, reqs: IncomingMessage[], builder: UpstreamHeaderBuilder): number {
  const n = reqs.length
  return nsPerCall((count) => {
    let folded = 0
    for (let k = 0; k < count; k++) {
      const req = reqs[k % n]
      if (limit === null) folded ^= (req.socket.remoteAddress ?? '').length
      else folded ^= limit.take(rateLimitKey(limit, req, builder), systemClock.now())
    }
    return folded
  })
}

const plain = new UpstreamHeaderBuilder(defaultListener({ port: 0 }), DEFAULT_VIA, 'http')
const trusting = new UpstreamHeaderBuilder(defaultListener({ port: 0, trustedProxies: ['10.255.0.0/16'] }), DEFAULT_VIA, 'http')
const ip = (ipv4Prefix: number, ipv6Prefix = 64): RateLimitKey => ({ source: 'ip', ipv4Prefix, ipv6Prefix })

const one = requests(1, v4)
const many = requests(10_000, v4)
const rotating64 = requests(64, (k) => v4(k * 256))
const rotatingV6 = requests(64, v6)
const spray = requests(200_000, v4)
const proxied = requests(1000, () => '10.255.0.1', (k) => ['X-Api-Key', `key-${k}`])

const baseline = checkCost(null, one, plain)
const cases: [string, number][] = [
  ['baseline (harness)', baseline],
  ['route (one bucket)', checkCost(limiter({ source: 'route' }), one, plain)],
  ['ip/32, one client (keep-alive)', checkCost(limiter(ip(32)), one, plain)],
  ['ip/32, 10 000 clients in the LRU', checkCost(limiter(ip(32)), many, plain)],
  ['ip/24, 64 clients, prefix recomputed', checkCost(limiter(ip(24)), rotating64, plain)],
  ['IPv6 /64, 64 clients, prefix recomputed', checkCost(limiter(ip(32, 64)), rotatingV6, plain)],
  ['ip/32, 200 000 clients, LRU of 100 000 (evicts)', checkCost(limiter(ip(32)), spray, plain)],
  ['header:x-api-key via trusted proxy, 1000 keys', checkCost(limiter({ source: 'header', name: 'x-api-key', ipv4Prefix: 32, ipv6Prefix: 64 }), proxied, trusting)],
]
const rows = cases.map(([name, ns]) => [name, ns.toFixed(1), (ns - baseline).toFixed(1)])
console.log(formatTable(['case', 'median ns/request', 'net ns'], rows))
console.log(`\nper request: rateLimitKey + RateLimiter.take (median of ${BATCHES} batches of ~${BATCH_MS} ms; node ${process.version}; checksum ${checksum.value})`)
