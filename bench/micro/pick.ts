/**
 * Cost of one request to each policy, as the proxy pays it: Balancer.pick, then Balancer.observe.
 *   npm run build && node dist/bench/micro/pick.js
 * At 8 and at 1000 endpoints (1000 shows per-endpoint state falling out of L1 cache and any O(n) work),
 * with equal weights and with weights 1..10 (round robin and least request take other paths then).
 * Production's clock and rng (performance.now, Math.random). Each row: a warm-up that also sizes the
 * batches to BATCH_MS, then the median ns per request over BATCHES batches.
 * The baseline row is the harness alone (a policy that returns the next endpoint and records nothing);
 * "net ns" subtracts it.
 */
import { Balancer } from '../../src/balancer/balancer.js'
import { createPolicy } from '../../src/balancer/policies/policy-factory.js'
import type { Endpoint, PickContext, Policy } from '../../src/balancer/types.js'
import { Outcome } from '../../src/util/outcome.js'
import type { PolicyConfig } from '../../src/config/types.js'
import { systemClock } from '../../src/util/clock.js'
import { mathRng, SeededRng } from '../../src/util/rng.js'
import { formatTable } from '../lib/table.js'
import { BaselinePolicy, median } from './micro-harness.js'

const BATCHES = 11
/** Target duration of one measured batch: long enough for hrtime's resolution, short enough to bound the run. */
const BATCH_MS = 20
const WARM_UP_REQUESTS = 50_000
/** Latency pool size: a power of two so `k & (POOL - 1)` picks a sample without a modulo. */
const POOL = 1024
const FIRST_TRY: PickContext = { hashKey: 0, attempt: 0, exclude: -1 }

/** The config defaults (config/schema.ts). */
const CONFIGS: PolicyConfig[] = [
  { name: 'round_robin' },
  { name: 'random' },
  { name: 'least_request', choiceCount: 2, activeRequestBias: 1 },
  { name: 'peak_ewma', decayMs: 10_000, defaultRttMs: 30, failurePenaltyMs: 1_000 },
]

const WEIGHTINGS: { name: string; weight: (i: number) => number }[] = [
  { name: 'equal', weight: () => 1 },
  { name: '1..10', weight: (i) => 1 + (i % 10) },
]

interface Row {
  policy: string
  weights: string
  endpoints: number
  nsPerRequest: number
}

/** Folds every pick in and is printed at the end, so no work can be optimised away. */
let sink = 0

/** Endpoints with background load 0..9 in flight, so least-request comparisons are not all ties. */
function endpoints(n: number, weight: (i: number) => number): Endpoint[] {
  const rng = new SeededRng(n)
  return Array.from({ length: n }, (_, index) => ({ id: `e${index}`, index, weight: weight(index), inflight: Math.floor(rng.next() * 10) }))
}

/** `count` requests: pick, in flight while "sent", observe at headers with a latency from the pool. */
function requests(balancer: Balancer, latencies: Float64Array, count: number): number {
  let folded = 0 // an XOR of small integers stays a small integer: no heap number per request
  for (let k = 0; k < count; k++) {
    const e = balancer.pick(FIRST_TRY)!
    e.inflight++
    balancer.observe(e, latencies[k & (POOL - 1)], 200, Outcome.Success, systemClock.now())
    e.inflight--
    folded ^= e.index
  }
  return folded
}

function measure(policy: Policy, weights: (typeof WEIGHTINGS)[number], n: number): Row {
  const balancer = new Balancer(policy, new SeededRng(1))
  balancer.setAvailable(endpoints(n, weights.weight))
  const noise = new SeededRng(1)
  const latencies = Float64Array.from({ length: POOL }, (_, k) => 5 + (k % 7) + noise.next() * 4) // 5..15 ms
  const start = process.hrtime.bigint()
  sink ^= requests(balancer, latencies, WARM_UP_REQUESTS)
  const warmUpNs = Number(process.hrtime.bigint() - start) / WARM_UP_REQUESTS
  const batch = Math.max(1_000, Math.round((BATCH_MS * 1e6) / warmUpNs))
  const runs: number[] = []
  for (let b = 0; b < BATCHES; b++) {
    const t0 = process.hrtime.bigint()
    sink ^= requests(balancer, latencies, batch)
    runs.push(Number(process.hrtime.bigint() - t0) / batch)
  }
  return { policy: policy.name, weights: weights.name, endpoints: n, nsPerRequest: median(runs) }
}

function report(rows: Row[]): string {
  const baseline = (n: number): number => rows.find((r) => r.policy === 'baseline' && r.endpoints === n)!.nsPerRequest
  const cells = rows.map((r) => [
    r.policy,
    r.weights,
    String(r.endpoints),
    String(Math.round(r.nsPerRequest)),
    String(Math.round(r.nsPerRequest - baseline(r.endpoints))), // String(-0) is "0"; toFixed gives "-0"
    `${(r.nsPerRequest / baseline(r.endpoints)).toFixed(2)}x`,
  ])
  return formatTable(['policy', 'weights', 'endpoints', 'median ns', 'net ns', 'x baseline'], cells)
}

const rows: Row[] = []
for (const n of [8, 1000]) {
  rows.push(measure(new BaselinePolicy(), WEIGHTINGS[0], n))
  for (const config of CONFIGS) {
    for (const weights of WEIGHTINGS) rows.push(measure(createPolicy(config, { clock: systemClock, rng: mathRng }), weights, n))
  }
}
console.log(report(rows))
console.log(`\nper request: Balancer.pick + Balancer.observe, median of ${BATCHES} batches of ~${BATCH_MS} ms (node ${process.version}; checksum ${sink})`)
