/**
 * Cost of one pick of the hash policy (consistent hashing with bounded loads over a Maglev table), as the proxy
 * pays it: Balancer.pick, then Balancer.observe, at 10 and at 1000 endpoints.
 *   npm run build && node dist/bench/micro/pick-hash.js
 * Rows: keys drawn from 4096 precomputed key hashes
 *   - idle: nothing in flight, every key lands on its home (one table read, the bound check, REFRESH re-reads);
 *   - loaded: background load 0..9 in flight per endpoint, so with balanceFactor 1.25 about a third of the
 *     endpoints are over their bound and picks walk on (the worst realistic case: heavy imbalance);
 *   - no key: hashKey 0, the fallback (round_robin here, to show the delegation's cost alone);
 * and the cost of computing a key from a request's raw headers (server/hash-key.ts, header:x-user among
 * 12 fields), and of rebuild() (the table, off the hot path). The baseline row is the harness alone.
 */
import type { IncomingMessage } from 'node:http'
import { Balancer } from '../../src/balancer/balancer.js'
import { keyHash } from '../../src/balancer/key-hash.js'
import { createPolicy } from '../../src/balancer/policies/policy-factory.js'
import type { Endpoint, PickContext, Policy } from '../../src/balancer/types.js'
import type { PolicyConfig } from '../../src/config/types.js'
import { requestHashKey } from '../../src/server/hash-key.js'
import { systemClock } from '../../src/util/clock.js'
import { Outcome } from '../../src/util/outcome.js'
import { mathRng, SeededRng } from '../../src/util/rng.js'
import { formatTable } from '../lib/table.js'
import { BATCH_MS, BATCHES, BaselinePolicy, checksum, median, nsPerCall } from './micro-harness.js'

/** Key pool: a power of two so `k & (KEYS - 1)` selects without a modulo. */
const KEYS = 4096

const HASH: PolicyConfig = { name: 'hash', key: { source: 'header', name: 'x-user' }, balanceFactor: 1.25, fallback: { name: 'round_robin' } }


function fleet(n: number, loaded: boolean): Endpoint[] {
  const rng = new SeededRng(n)
  return Array.from({ length: n }, (_, index) => ({ id: `10.0.${index >> 8}.${index & 255}:8080`, index, weight: 1, inflight: loaded ? Math.floor(rng.next() * 10) : 0 }))
}


function pickCost(policy: Policy, n: number, loaded: boolean, keyed: boolean): number {
  const balancer = new Balancer(policy, new SeededRng(1))
  balancer.setAvailable(fleet(n, loaded))
  const keys = Uint32Array.from({ length: KEYS }, (_, k) => (keyed ? keyHash(`user-${k}`) : 0))
  const ctx: PickContext = { hashKey: 0, attempt: 0, exclude: -1 }
  return nsPerCall((count) => {
    let folded = 0
    for (let k = 0; k < count; k++) {
      ctx.hashKey = keys[k & (KEYS - 1)]
      const e = balancer.pick(ctx)!
      e.inflight++
      balancer.observe(e, 10, 200, Outcome.Success, systemClock.now())
      e.inflight--
      folded ^= e.index
    }
    return folded
  })
}

function keyCost(): number {
  const base = ['Host', 'example.com', 'User-Agent', 'curl/8.5', 'Accept', '*/*', 'Accept-Encoding', 'gzip', 'Accept-Language', 'en', 'Cookie', 'a=1; b=2']
  const base2 = ['Connection', 'keep-alive', 'Cache-Control', 'no-cache', 'Pragma', 'no-cache', 'Referer', 'https://example.com/', 'Sec-Fetch-Mode', 'cors']
  const reqs = Array.from({ length: 64 }, (_, k) => ({ rawHeaders: [...base, ...base2, 'X-User', `user-${k}`], socket: { remoteAddress: '10.0.0.1' } }) as unknown as IncomingMessage)
  const spec = { source: 'header', name: 'x-user' } as const
  return nsPerCall((count) => {
    let folded = 0
    for (let k = 0; k < count; k++) folded ^= requestHashKey(spec, reqs[k & 63], '/') & 0xff
    return folded
  })
}

function rebuildMs(n: number): number {
  const policy = createPolicy(HASH, { clock: systemClock, rng: mathRng })
  const available = fleet(n, false)
  policy.rebuild(available) // warm
  const runs: number[] = []
  for (let i = 0; i < 5; i++) {
    const t0 = process.hrtime.bigint()
    policy.rebuild(available)
    runs.push(Number(process.hrtime.bigint() - t0) / 1e6)
  }
  return median(runs)
}

const rows: string[][] = []
for (const n of [10, 1000]) {
  const baseline = pickCost(new BaselinePolicy(), n, false, false)
  const hash = (): Policy => createPolicy(HASH, { clock: systemClock, rng: mathRng })
  const cases: [string, number][] = [
    ['baseline', baseline],
    ['hash, idle', pickCost(hash(), n, false, true)],
    ['hash, loaded 0..9', pickCost(hash(), n, true, true)],
    ['hash, no key (round_robin fallback)', pickCost(hash(), n, false, false)],
    ['round_robin alone', pickCost(createPolicy({ name: 'round_robin' }, { clock: systemClock, rng: mathRng }), n, false, false)],
  ]
  for (const [name, ns] of cases) rows.push([name, String(n), ns.toFixed(1), (ns - baseline).toFixed(1), `${(ns / baseline).toFixed(2)}x`])
  rows.push([`rebuild() (table of ${createTableSizeNote(n)} slots), ms`, String(n), rebuildMs(n).toFixed(2), '', ''])
}
rows.push(['requestHashKey header:x-user (12 fields)', '', keyCost().toFixed(1), '', ''])
console.log(formatTable(['case', 'endpoints', 'median ns/op', 'net ns', 'x baseline'], rows))
console.log(`\nper op: Balancer.pick + Balancer.observe (median of ${BATCHES} batches of ~${BATCH_MS} ms; node ${process.version}; checksum ${checksum.value})`)

function createTableSizeNote(n: number): string {
  let base = 65_536
  while (base < 100 * n) base *= 4
  return `~${base}`
}
