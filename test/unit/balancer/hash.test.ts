import t from 'tap'
import { HashPolicy, maglevTable, tableSize } from '../../../src/balancer/policies/hash.js'
import { createPolicy } from '../../../src/balancer/policies/policy-factory.js'
import { LeastRequestPolicy } from '../../../src/balancer/policies/least-request.js'
import { keyHash } from '../../../src/balancer/key-hash.js'
import type { Endpoint, PickContext, Policy } from '../../../src/balancer/types.js'
import { parseConfigText } from '../../../src/config/load.js'
import { policySchema } from '../../../src/config/schema.js'
import { ManualClock } from '../../../src/util/clock.js'
import { Outcome } from '../../../src/util/outcome.js'
import { SeededRng } from '../../../src/util/rng.js'
import { scavengesDuring } from '../../helpers/scavenges.js'

const KEYS = 100_000

/** Endpoints named like real ones (the table hashes ids), weights 1 unless given. */
function fleet(n: number, weight: (i: number) => number = () => 1): Endpoint[] {
  return Array.from({ length: n }, (_, index) => ({ id: `10.0.${index >> 8}.${index & 255}:8080`, index, weight: weight(index), inflight: 0 }))
}

/** Records what reaches it; picks the first endpoint not excluded. */
class StubPolicy implements Policy {
  readonly name = 'stub'
  calls: string[] = []
  rebuild(available: readonly Endpoint[]): void {
    this.calls.push(`rebuild ${available.length}`)
  }
  pick(available: readonly Endpoint[], ctx: PickContext): Endpoint | null {
    this.calls.push('pick')
    return available.find((e) => e.index !== ctx.exclude) ?? null
  }
  observe(e: Endpoint): void {
    this.calls.push(`observe ${e.id}`)
  }
  tick(nowMs: number): void {
    this.calls.push(`tick ${nowMs}`)
  }
  explain(): Record<string, number> {
    return { stub: 1 }
  }
}

function hashPolicy(balanceFactor = 1.25, fallback: Policy = new StubPolicy()): HashPolicy {
  return new HashPolicy({ balanceFactor }, fallback)
}

const ctx = (hashKey: number, exclude = -1, attempt = 0): PickContext => ({ hashKey, attempt, exclude })

/** Each key's endpoint index with nothing in flight (every endpoint under its bound: pure consistent hashing). */
function assignment(policy: HashPolicy, available: readonly Endpoint[]): Int32Array {
  const out = new Int32Array(KEYS)
  const c = ctx(0)
  for (let k = 0; k < KEYS; k++) {
    c.hashKey = keyHash(`user-${k}`)
    out[k] = policy.pick(available, c)!.index
  }
  return out
}

t.test('removing one of n endpoints moves its keys and about 1/n of all keys, no more', async (t) => {
  const cases = [
    { n: 3, removed: 1 },
    { n: 5, removed: 0 },
    { n: 10, removed: 7 },
    { n: 50, removed: 23 },
    { n: 100, removed: 99 },
  ]
  for (const { n, removed } of cases) {
    const all = fleet(n)
    const policy = hashPolicy()
    policy.rebuild(all)
    const before = assignment(policy, all)
    const rest = all.filter((e) => e.index !== removed)
    policy.rebuild(rest)
    const after = assignment(policy, rest)
    let moved = 0
    let ofRemoved = 0
    let ofRemovedMoved = 0
    for (let k = 0; k < KEYS; k++) {
      if (before[k] === removed) ofRemoved++
      if (before[k] !== after[k]) {
        moved++
        if (before[k] === removed) ofRemovedMoved++
      }
    }
    t.equal(ofRemovedMoved, ofRemoved, `n=${n}: every key of the removed endpoint moved (${ofRemoved})`)
    // Maglev is near-minimal: the other keys' churn is a fraction of a percent with M ≥ 100·n.
    t.ok(moved / KEYS <= 1 / n + 0.01, `n=${n}: ${(moved / KEYS).toFixed(4)} of keys moved ≤ 1/n + 0.01 = ${(1 / n + 0.01).toFixed(4)}`)
    t.ok((moved - ofRemoved) / KEYS <= 0.01, `n=${n}: keys of other endpoints moved ${((moved - ofRemoved) / KEYS).toFixed(4)} ≤ 0.01`)
    // Back again: the table is a function of the set, so the original assignment returns exactly.
    policy.rebuild(all)
    t.same(assignment(policy, all), before, `n=${n}: restoring the endpoint restores every key`)
  }
})

t.test('the table size does not change while endpoints come and go (up to 655 of them)', async (t) => {
  t.equal(tableSize(1), 65_537)
  t.equal(tableSize(655), 65_537)
  t.ok(tableSize(1000) >= 100_000, 'at least 100·n')
  t.equal(tableSize(1000), tableSize(2000), 'one size per rung of the ladder')
})

t.test('steady state: every key keeps its endpoint, pick after pick, as load comes and goes under the bound', async (t) => {
  const all = fleet(8)
  const policy = hashPolicy()
  policy.rebuild(all)
  const home = assignment(policy, all)
  const rng = new SeededRng(7)
  const c = ctx(0)
  let changed = 0
  for (let round = 0; round < 20_000; round++) {
    const k = Math.floor(rng.next() * KEYS)
    // Background load spread evenly (the same 0..5 in flight everywhere) keeps every endpoint under its bound:
    // ceil(1.25 × (8L + 1) / 8) > L.
    const level = Math.floor(rng.next() * 6)
    for (const e of all) e.inflight = level
    c.hashKey = keyHash(`user-${k}`)
    if (policy.pick(all, c)!.index !== home[k]) changed++
  }
  t.equal(changed, 0, 'no key changed endpoint')
  t.same(assignment(policy, all.map((e) => ({ ...e, inflight: 0 }))), home, 'the same assignment again')
})

t.test('keys spread over the endpoints in proportion to weight', async (t) => {
  const cases = [
    { weights: [1, 1, 1, 1] },
    { weights: [1, 2, 3, 4] },
    { weights: [5, 1] },
    { weights: [10, 1, 1, 1, 1, 1] },
  ]
  for (const { weights } of cases) {
    const available = fleet(weights.length, (i) => weights[i])
    const policy = hashPolicy()
    policy.rebuild(available)
    const counts = new Array<number>(weights.length).fill(0)
    for (const index of assignment(policy, available)) counts[index]++
    const total = weights.reduce((a, b) => a + b, 0)
    const table = maglevTable(available, tableSize(available.length))
    const slots = new Array<number>(weights.length).fill(0)
    for (const p of table) slots[p]++
    for (let i = 0; i < weights.length; i++) {
      t.ok(Math.abs(slots[i] / table.length - weights[i] / total) < 0.001, `weights ${weights}: e${i} holds ${(slots[i] / table.length).toFixed(4)} of the table ≈ ${(weights[i] / total).toFixed(4)}`)
      t.ok(Math.abs(counts[i] / KEYS - weights[i] / total) < 0.01, `weights ${weights}: e${i} gets ${(counts[i] / KEYS).toFixed(4)} of keys ≈ ${(weights[i] / total).toFixed(4)}`)
    }
  }
})

/**
 * Concurrent requests as a random process: at each step a request arrives (probability `arrival`) with a key
 * from a skewed population (a few hot keys carry most of the traffic, which alone would pile onto their homes),
 * or a random in-flight one finishes. At each arrival the chosen endpoint must stay within the bound:
 * in flight after ≤ ceil(c × share × total after), i.e. ≤ ceil(c × mean) with equal weights.
 */
function simulate(n: number, balanceFactor: number, seed: number, steps = 200_000) {
  const available = fleet(n)
  const policy = hashPolicy(balanceFactor)
  policy.rebuild(available)
  const rng = new SeededRng(seed)
  const inFlight: Endpoint[] = []
  const c = ctx(0)
  let total = 0
  let over = 0
  let maxExcess = -Infinity
  let worstRatio = 0
  let arrivals = 0
  let walked = 0
  const homes = new Map<number, number>()
  for (let s = 0; s < steps; s++) {
    if (inFlight.length === 0 || rng.next() < 0.5) {
      // ~80 % of requests on 5 hot keys, the rest over 10 000.
      const k = rng.next() < 0.8 ? Math.floor(rng.next() * 5) : 5 + Math.floor(rng.next() * 10_000)
      c.hashKey = keyHash(`user-${k}`)
      const e = policy.pick(available, c)!
      e.inflight++
      total++
      arrivals++
      inFlight.push(e)
      const bound = Math.ceil((balanceFactor * total) / n)
      if (e.inflight > bound) over++
      maxExcess = Math.max(maxExcess, e.inflight - bound)
      if (total >= 4 * n) worstRatio = Math.max(worstRatio, e.inflight / (total / n))
      if (!homes.has(k)) homes.set(k, e.index)
      else if (homes.get(k) !== e.index) walked++
    } else {
      const j = Math.floor(rng.next() * inFlight.length)
      const e = inFlight[j]
      inFlight[j] = inFlight[inFlight.length - 1]
      inFlight.pop()
      e.inflight--
      total--
    }
    // Keep the process stationary around a few dozen in flight.
    while (inFlight.length > 6 * n) {
      const e = inFlight.shift()!
      e.inflight--
      total--
    }
  }
  return { over, maxExcess, worstRatio, arrivals, walked }
}

t.test('bounded load: no pick takes an endpoint above ceil(balanceFactor × mean in flight)', async (t) => {
  const cases = [
    { n: 4, balanceFactor: 1.25, seed: 1 },
    { n: 10, balanceFactor: 1.25, seed: 2 },
    { n: 10, balanceFactor: 1.5, seed: 3 },
    { n: 16, balanceFactor: 2, seed: 4 },
  ]
  for (const { n, balanceFactor, seed } of cases) {
    const r = simulate(n, balanceFactor, seed)
    t.equal(r.over, 0, `n=${n} c=${balanceFactor}: ${r.arrivals} arrivals, none over the bound (worst ${r.worstRatio.toFixed(2)}× the mean, at ≥ 4 in flight per endpoint)`)
    t.ok(r.walked > 0, `n=${n} c=${balanceFactor}: hot keys overflowed to other endpoints (${r.walked} picks away from home)`)
  }
  // The same traffic with the bound out of reach: hot keys pile onto their homes, which is what the bound prevents.
  const unbounded = simulate(10, 100, 2)
  t.ok(unbounded.worstRatio > 2, `without a bound the hot homes exceed 1.25× the mean (worst ${unbounded.worstRatio.toFixed(2)}×)`)
})

t.test('bounded load beyond 16 endpoints (total kept incrementally): rarely and at most one request over the bound', async (t) => {
  for (const n of [64, 200]) {
    const r = simulate(n, 1.25, 5)
    t.ok(r.maxExcess <= 1, `n=${n}: at most ${r.maxExcess} over ceil(1.25 × mean)`)
    t.ok(r.over / r.arrivals < 0.02, `n=${n}: ${r.over} of ${r.arrivals} arrivals over the bound (< 2 %)`)
  }
})

t.test('a retry skips the excluded endpoint and walks on to the same next endpoint every time', async (t) => {
  const all = fleet(6)
  const policy = hashPolicy()
  policy.rebuild(all)
  for (let k = 0; k < 200; k++) {
    const key = keyHash(`user-${k}`)
    const home = policy.pick(all, ctx(key))!
    const next = policy.pick(all, ctx(key, home.index, 1))!
    t.not(next.index, home.index)
    if (policy.pick(all, ctx(key, home.index, 1)) !== next) t.fail(`key ${k}: the retry went elsewhere`)
  }
})

t.test('a request without a key goes to the fallback, which also gets rebuild, observe, tick and explain', async (t) => {
  const stub = new StubPolicy()
  const policy = hashPolicy(1.25, stub)
  const all = fleet(3)
  policy.rebuild(all)
  t.same(stub.calls, ['rebuild 3'])
  stub.calls = []
  t.equal(policy.pick(all, ctx(0)), all[0], 'hashKey 0: the fallback picks')
  t.equal(policy.pick(all, ctx(0, 0, 1)), all[1], 'and handles the exclusion')
  t.same(stub.calls, ['pick', 'pick'])
  stub.calls = []
  policy.pick(all, ctx(keyHash('someone')))
  t.same(stub.calls, [], 'a keyed pick does not ask the fallback')
  policy.observe(all[2], 12, 200, Outcome.Success, 5)
  policy.tick(1000)
  t.same(stub.calls, ['observe 10.0.0.2:8080', 'tick 1000'])
  t.same(policy.explain(all[1]), { stub: 1 })
})

t.test('the factory builds hash with its fallback; the schema reads the YAML form', async (t) => {
  const deps = { clock: new ManualClock(), rng: new SeededRng(1) }
  const policy = createPolicy(
    { name: 'hash', key: { source: 'header', name: 'x-user' }, balanceFactor: 1.25, fallback: { name: 'least_request', choiceCount: 2, activeRequestBias: 1 } },
    deps,
  )
  t.ok(policy instanceof HashPolicy)
  t.equal(policy.name, 'hash')
  t.ok((policy as HashPolicy).fallback instanceof LeastRequestPolicy)

  const parsed = policySchema.parse({ name: 'hash', key: 'header:X-User' })
  t.match(parsed, { name: 'hash', key: 'header:X-User', balanceFactor: 1.25, fallback: { name: 'adaptive', forgetting: 0.995 } }, 'defaults: 1.25, adaptive')
  t.match(policySchema.parse({ name: 'hash', key: 'ip', fallback: 'round_robin' }), { fallback: { name: 'round_robin' } })
  for (const bad of [
    { name: 'hash' },
    { name: 'hash', key: 'header' },
    { name: 'hash', key: 'body:x' },
    { name: 'hash', key: 'ip', balanceFactor: 0.9 },
    { name: 'hash', key: 'ip', fallback: 'hash' },
  ]) {
    t.notOk(policySchema.safeParse(bad).success, `refused: ${JSON.stringify(bad)}`)
  }
})

t.test('a key hash is never 0 (reserved for no key) and stable', async (t) => {
  t.equal(keyHash('alice'), keyHash('alice'))
  t.not(keyHash('alice'), keyHash('bob'))
  t.equal(keyHash('xaliceY', 1, 6), keyHash('alice'), 'a range hashes like the substring')
  for (let i = 0; i < 10_000; i++) if (keyHash(`k${i}`) === 0) t.fail('0')
})

t.test('keyed picks allocate nothing (4M picks, walks and retries included)', async (t) => {
  const all = fleet(10)
  const policy = hashPolicy()
  policy.rebuild(all)
  const keys = Int32Array.from({ length: 1024 }, (_, k) => keyHash(`user-${k}`))
  const c = ctx(0)
  const run = (count: number): number => {
    let folded = 0
    for (let k = 0; k < count; k++) {
      c.hashKey = keys[k & 1023]
      c.exclude = (k & 3) === 0 ? k % 10 : -1
      const e = policy.pick(all, c)!
      e.inflight = (e.inflight + 1) & 7 // load that comes and goes, so some picks walk
      folded ^= e.index
    }
    return folded
  }
  run(20_000)
  const scavenges = await scavengesDuring(() => run(4_000_000))
  t.ok(scavenges <= 1, `${scavenges} scavenges`)
})

t.test('YAML: the key spec is parsed (header names lower-cased), the fallback built with its defaults', async (t) => {
  const yaml = (policy: string): string => `upstreams:\n  - name: u\n    policy: ${policy}\n    endpoints: [http://127.0.0.1:9001]\n`
  const cases: { policy: string; expected: object }[] = [
    {
      policy: '{ name: hash, key: header:X-User }',
      expected: { name: 'hash', key: { source: 'header', name: 'x-user' }, balanceFactor: 1.25, fallback: { name: 'adaptive', errorPenaltyMs: 1000 } },
    },
    { policy: '{ name: hash, key: cookie:SID, balanceFactor: 2, fallback: round_robin }', expected: { key: { source: 'cookie', name: 'SID' }, balanceFactor: 2, fallback: { name: 'round_robin' } } },
    { policy: '{ name: hash, key: query:uid, fallback: { name: least_request, choiceCount: 3 } }', expected: { key: { source: 'query', name: 'uid' }, fallback: { name: 'least_request', choiceCount: 3 } } },
    { policy: '{ name: hash, key: ip }', expected: { key: { source: 'ip', name: '' } } },
    { policy: '{ name: hash, key: path }', expected: { key: { source: 'path', name: '' } } },
  ]
  for (const c of cases) t.match(parseConfigText(yaml(c.policy), '/tmp/x.yaml', {}).upstreams[0].policy, c.expected, c.policy)
  t.throws(() => parseConfigText(yaml('{ name: hash, key: "header:" }'), '/tmp/x.yaml', {}), /expected a key: header:NAME/, 'an empty name is refused')
})

t.test('adopt hands the fallback what the previous policy (or its fallback) learned', async (t) => {
  const adopted: Policy[] = []
  const learner = (): Policy => Object.assign(new StubPolicy(), { adopt: (previous: Policy) => void adopted.push(previous) })
  const before = learner()
  const after = hashPolicy(1.25, learner())
  after.adopt(hashPolicy(1.25, before), new Int32Array([0]))
  after.adopt(before, new Int32Array([0]))
  t.equal(adopted[0], before, 'from a hash policy: its fallback')
  t.equal(adopted[1], before, 'from a policy of the fallback kind: that policy')
})
