/**
 * Cost of the adaptive policy on the hot path and on its timer, next to peak-EWMA and least-request:
 *   npx tsc -p tsconfig.json --outDir dist-bench --tsBuildInfoFile dist-bench/.tsbuildinfo
 *   node dist-bench/bench/micro/pick-adaptive.js
 * Hot path: one pick + one observe (what a request costs the policy), at 8 and at 1000 endpoints (1000
 * shows the effect of per-endpoint state falling out of L1 cache); median ns over BATCHES batches.
 * Timer: one tick() with a refit pass due, median over TICKS ticks.
 */
import { defaultPolicy } from '../../src/config/build.js'
import { AdaptivePolicy } from '../../src/balancer/policies/adaptive.js'
import { LeastRequestPolicy } from '../../src/balancer/policies/least-request.js'
import { PeakEwmaPolicy } from '../../src/balancer/policies/peak-ewma.js'
import type { Endpoint, PickContext, Policy } from '../../src/balancer/types.js'
import { Outcome } from '../../src/util/outcome.js'
import type { Clock } from '../../src/util/clock.js'
import { mathRng, SeededRng, type Rng } from '../../src/util/rng.js'
import { median } from './micro-harness.js'

const BATCHES = 21
const OPS_PER_BATCH = 200_000
const TICKS = 21
/** Latency pool size: a power of two so `k & (POOL - 1)` picks a sample without a modulo. */
const POOL = 1024
/** Simulated time per request, ms: 50 µs, i.e. 20k requests/s. */
const STEP_MS = 0.05
const FIRST_TRY: PickContext = { hashKey: 0, attempt: 0, exclude: -1 }
/** The adaptive policy with the config's defaults. */
const ADAPTIVE = defaultPolicy('adaptive')

interface Row {
  operation: string
  policy: string
  endpoints: number
  nsPerOp: number
}

type Make = (clock: Clock, rng: Rng) => Policy

/**
 * A manual clock whose time lives in a Float64Array: ManualClock keeps it in an object field, and
 * `current += ms` there allocates a heap number per step, which would be counted against the policies.
 */
class ArrayClock implements Clock {
  private readonly time = new Float64Array(1)

  now(): number {
    return this.time[0]
  }

  advance(ms: number): void {
    this.time[0] += ms
  }
}

const POLICIES: { name: string; make: Make }[] = [
  { name: 'adaptive', make: (clock, rng) => new AdaptivePolicy(ADAPTIVE, { clock, rng }) },
  { name: 'peak_ewma', make: (clock, rng) => new PeakEwmaPolicy({ decayMs: 10_000, defaultRttMs: 30, failurePenaltyMs: 1_000, clock, rng }) },
  { name: 'least_request', make: (_clock, rng) => new LeastRequestPolicy({ choiceCount: 2, activeRequestBias: 1 }, rng) },
]

/** A value every benchmark folds its results into, printed at the end so no work is optimised away. */
let sink = 0

/** Latency noise, uniform 0..4 ms; endpoint i answers in 5 + (i mod 7) ms plus one of these. */
function latencies(rng: Rng): Float64Array {
  const pool = new Float64Array(POOL)
  for (let k = 0; k < POOL; k++) pool[k] = rng.next() * 4
  return pool
}

/** One request through the policy as the proxy does it: pick, in flight, answer at headers, done. */
function request(policy: Policy, endpoints: readonly Endpoint[], clock: ArrayClock, noise: Float64Array, k: number): number {
  const e = policy.pick(endpoints, FIRST_TRY) as Endpoint
  e.inflight++
  clock.advance(STEP_MS)
  policy.observe(e, 5 + (e.index % 7) + noise[k & (POOL - 1)], 200, Outcome.Success, clock.now())
  e.inflight--
  return e.index
}

function hotRow(name: string, make: Make, n: number): Row {
  const clock = new ArrayClock()
  // Production's Math.random: SeededRng keeps a uint32 state, which V8 stores as a new heap number on
  // every step above 2³¹, and that garbage would be timed against the policies.
  const policy = make(clock, mathRng)
  const endpoints = Array.from({ length: n }, (_, index) => ({ id: `e${index}`, index, weight: 1, inflight: 0 }))
  policy.rebuild(endpoints)
  const noise = latencies(new SeededRng(1))
  for (let k = 0; k < OPS_PER_BATCH * 2; k++) sink ^= request(policy, endpoints, clock, noise, k) // warm-up and learning
  policy.tick(clock.now())
  const batches: number[] = []
  for (let b = 0; b < BATCHES; b++) {
    let folded = 0 // an XOR of small integers stays a small integer: no heap number per operation
    const start = process.hrtime.bigint()
    for (let k = 0; k < OPS_PER_BATCH; k++) folded ^= request(policy, endpoints, clock, noise, k)
    batches.push(Number(process.hrtime.bigint() - start) / OPS_PER_BATCH)
    sink ^= folded
  }
  return { operation: 'pick + observe', policy: name, endpoints: n, nsPerOp: median(batches) }
}

function tickRow(n: number): Row {
  const clock = new ArrayClock()
  const rng = new SeededRng(2)
  const policy = new AdaptivePolicy(ADAPTIVE, { clock, rng })
  const endpoints = Array.from({ length: n }, (_, index) => ({ id: `e${index}`, index, weight: 1, inflight: 0 }))
  policy.rebuild(endpoints)
  const noise = latencies(rng)
  const ticks: number[] = []
  for (let r = 0; r < TICKS; r++) {
    // Enough answers between ticks that every endpoint has a refit due (≥ 32 new answers each).
    for (let k = 0; k < 40 * n; k++) {
      const e = endpoints[k % n]
      e.inflight = 1 + (Math.floor(k / n) % 20) // each endpoint sees in-flight 1..20 in turn
      policy.observe(e, 5 + e.inflight + noise[k & (POOL - 1)], 200, Outcome.Success, clock.now())
      e.inflight = 0
    }
    clock.advance(ADAPTIVE.refitIntervalMs)
    const start = process.hrtime.bigint()
    policy.tick(clock.now())
    ticks.push(Number(process.hrtime.bigint() - start))
  }
  return { operation: 'tick (refit pass due)', policy: 'adaptive', endpoints: n, nsPerOp: median(ticks) }
}

function printTable(rows: Row[]): void {
  const header = ['operation', 'policy', 'endpoints', 'median ns/op', 'vs peak_ewma']
  const peak = (r: Row) => rows.find((p) => p.policy === 'peak_ewma' && p.endpoints === r.endpoints && p.operation === r.operation)
  const cells = rows.map((r) => [
    r.operation,
    r.policy,
    String(r.endpoints),
    r.nsPerOp >= 1e5 ? `${(r.nsPerOp / 1e6).toFixed(2)} ms` : r.nsPerOp.toFixed(0),
    peak(r) === undefined ? '-' : `${(r.nsPerOp / peak(r)!.nsPerOp).toFixed(2)}x`,
  ])
  const widths = header.map((h, c) => Math.max(h.length, ...cells.map((row) => row[c].length)))
  // Left-align the names, right-align the numbers.
  const pad = (cell: string, c: number) => (c < 2 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))
  const line = (row: string[]) => row.map(pad).join('  ')
  console.log(line(header))
  console.log(widths.map((w) => '-'.repeat(w)).join('  '))
  for (const row of cells) console.log(line(row))
}

const rows: Row[] = []
for (const n of [8, 1000]) for (const p of POLICIES) rows.push(hotRow(p.name, p.make, n))
for (const n of [8, 1000]) rows.push(tickRow(n))
printTable(rows)
console.log(`\ntargets: pick + observe ≤ 500 ns at 8 endpoints, ≤ 1000 ns at 1000  (node ${process.version}; checksum ${sink})`)
