import t from 'tap'
import type { RateLimitConfig } from '../../../src/config/types.js'
import { BucketLru } from '../../../src/overload/bucket-lru.js'
import { buildRateLimiters, RateLimiter } from '../../../src/overload/rate-limiter.js'
import { ManualClock } from '../../../src/util/clock.js'

const PER_IP: RateLimitConfig = { ratePerSecond: 10, burst: 5, key: { source: 'ip', ipv4Prefix: 32, ipv6Prefix: 64 }, maxKeys: 3 }

/** Takes until refused; how many were granted. */
function drain(limiter: RateLimiter, key: string, nowMs: number): number {
  let granted = 0
  while (limiter.take(key, nowMs) === 0) granted++
  return granted
}

t.test('a bucket starts full (burst), refills at the rate from the injected clock, never above the burst', async (t) => {
  const clock = new ManualClock(1_000)
  const limiter = new RateLimiter('api', PER_IP)
  t.equal(drain(limiter, 'a', clock.now()), 5, 'burst of 5 at once')
  t.equal(limiter.limited, 1, 'the refused one is counted')
  clock.advance(100) // 10/s: one token per 100 ms
  t.equal(limiter.take('a', clock.now()), 0, 'one token after 100 ms')
  t.not(limiter.take('a', clock.now()), 0, 'and only one')
  clock.advance(250)
  t.equal(drain(limiter, 'a', clock.now()), 2, '2.5 tokens after 250 ms: two requests')
  clock.advance(60_000)
  t.equal(drain(limiter, 'a', clock.now()), 5, 'a minute idle fills to the burst, not to 600')
})

t.test('Retry-After: the whole seconds until a token, rounded up, at least 1', async (t) => {
  const cases: { rate: number; burst: number; elapsedMs: number; seconds: number }[] = [
    { rate: 10, burst: 1, elapsedMs: 0, seconds: 1 }, // 100 ms to wait: 1 s
    { rate: 0.5, burst: 1, elapsedMs: 0, seconds: 2 }, // 2 s per token
    { rate: 0.5, burst: 1, elapsedMs: 1_500, seconds: 1 }, // 0.75 tokens: 0.5 s left → 1
    { rate: 1 / 60, burst: 1, elapsedMs: 0, seconds: 60 }, // 1/min
    { rate: 0.3, burst: 2, elapsedMs: 0, seconds: 4 }, // 3.33 s → 4
  ]
  for (const c of cases) {
    const limiter = new RateLimiter('r', { ratePerSecond: c.rate, burst: c.burst, key: { source: 'route' }, maxKeys: 1 })
    drain(limiter, '', 0)
    t.equal(limiter.take('', c.elapsedMs), c.seconds, `${c.rate}/s burst ${c.burst} after ${c.elapsedMs} ms: ${c.seconds} s`)
  }
})

t.test('keys are limited apart; the LRU never holds more than maxKeys, forgetting the least recently used', async (t) => {
  const limiter = new RateLimiter('api', PER_IP)
  t.equal(drain(limiter, 'a', 0), 5)
  t.equal(drain(limiter, 'b', 0), 5, 'b has its own bucket')
  t.equal(drain(limiter, 'c', 0), 5)
  limiter.take('a', 0) // a becomes the most recent: b is the oldest now
  t.equal(drain(limiter, 'd', 0), 5, 'a fourth key')
  t.equal(limiter.buckets.size, 3, 'bounded at maxKeys')
  t.equal(limiter.buckets.evictions, 1)
  t.not(limiter.take('a', 0), 0, 'a was kept (recently used): still empty')
  t.not(limiter.take('c', 0), 0, 'c was kept')
  t.equal(limiter.take('b', 0), 0, 'b was forgotten: it starts full again (the permissive side)')
  const lru = new BucketLru(1000)
  for (let k = 0; k < 10_000; k++) lru.take(`k${k}`, k, 0.001, 3)
  t.equal(lru.size, 1000, '10 000 keys through an LRU of 1000: 1000 held')
  t.equal(lru.evictions, 9000)
})

t.test('a reload keeps the buckets of a limit that stayed; a changed key or a new route starts afresh', async (t) => {
  const before = new RateLimiter('api', PER_IP)
  drain(before, 'a', 0)
  drain(before, 'b', 0)
  const faster = new RateLimiter('api', { ...PER_IP, ratePerSecond: 20, burst: 2 }, before)
  t.not(faster.take('a', 0), 0, 'same route and key: a is still empty under the new rate')
  t.equal(faster.take('a', 50), 0, 'and refills at the new rate (20/s: one per 50 ms)')
  t.equal(faster.limited, 3, 'the refusal count carries over too (2 before, 1 now)')
  const byPrefix = new RateLimiter('api', { ...PER_IP, key: { source: 'ip', ipv4Prefix: 24, ipv6Prefix: 64 } }, before)
  t.equal(byPrefix.take('a', 0), 0, 'another key definition: fresh buckets')
  const smaller = new RateLimiter('api', { ...PER_IP, maxKeys: 1 }, before)
  t.equal(smaller.buckets.size, 1, 'fewer keys: only the most recent carried over')
  t.not(smaller.take('b', 0), 0, 'b (the most recent) kept its empty bucket')
  const full = new RateLimiter('api', { ...PER_IP, burst: 3 }, new RateLimiter('api', PER_IP))
  t.equal(drain(full, 'x', 0), 3, 'an unknown key starts at the new burst')

  const routes = [
    { name: 'api', host: null, pathPrefix: '/', upstream: 'u', retryNonIdempotent: null, maxBodyBytes: null, allowTrace: false, rateLimit: PER_IP },
    { name: 'free', host: null, pathPrefix: '/free', upstream: 'u', retryNonIdempotent: null, maxBodyBytes: null, allowTrace: false, rateLimit: null },
  ]
  const first = buildRateLimiters(routes, new Map())
  t.same([...first.keys()], ['api'], 'a route without rateLimit has no limiter (no default limit)')
  drain(first.get('api')!, 'a', 0)
  const second = buildRateLimiters(routes, first)
  t.not(second.get('api')!.take('a', 0), 0, 'rebuilt from the previous snapshot: the bucket stayed empty')
})
