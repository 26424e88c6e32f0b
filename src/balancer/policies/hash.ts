import { hash32 } from '../key-hash.js'
import type { Outcome } from '../../util/outcome.js'
import type { Endpoint, PickContext, PickExplanation, Policy } from '../types.js'

export interface HashOptions {
  /** c ≥ 1: an endpoint takes a request only while in flight < ceil(c × its weight share × (total in flight + 1)). */
  balanceFactor: number
}

/**
 * Maglev table sizes: at least TABLE_FACTOR × n slots (Eisenbud et al. use M ≥ 100·n for < 1 % imbalance), taken
 * from a fixed ladder of primes (65537, the paper's, then the first prime above 4× the previous power of two)
 * so that M stays the same when endpoints come and go: a key's slot is hashKey mod M, and a new M would move
 * almost every key.
 */
const TABLE_FACTOR = 100
const SMALLEST_TABLE = 65_536
/** In-flight counts re-read per pick to keep the running total (see `refresh`); with n ≤ this it is exact. */
const REFRESH = 16
/** Seeds of the two endpoint-name hashes that give each endpoint its permutation (offset, skip). */
const OFFSET_SEED = 0x811c9dc5
const SKIP_SEED = 0x2545f491

/**
 * Consistent hashing with bounded loads (Mirrokni, Thorup and Zadimoghaddam, SODA 2018, "Consistent Hashing
 * with Bounded Loads"; HAProxy's `hash-balance-factor`), over a Maglev lookup table (Eisenbud et al.,
 * NSDI 2016, "Maglev: A Fast and Reliable Software Network Load Balancer", §3.4).
 *
 * Why Maglev and not a ring of virtual nodes: a pick is one table read, O(1) at any n, where a ring costs a
 * binary search, O(log n), with cache misses; the table (a prime M ≥ 100·n slots, an Int32Array: 256 kB up to
 * 655 endpoints, 1 MB up to 2621) is built in rebuild(), off the hot path, from the available set alone, so an ejected
 * endpoint is simply absent. Each endpoint walks its own permutation of the slots, (offset + j × skip) mod M
 * with offset and skip hashed from its id (stable across rebuilds and reloads), and endpoints take turns
 * claiming their next free slot; turns are proportional to weight (an endpoint of weight w takes w/maxWeight
 * of a turn per round), so shares of the key space are proportional to weight. Removing one of n endpoints
 * moves its keys and only about 1/n more churn elsewhere than the ideal (Maglev is near-minimal, not
 * minimal; the test measures it).
 *
 * Bounded load: the key's slot (hashKey mod M) names its home; an endpoint may take the request only while
 * its in-flight count < ceil(balanceFactor × (w / W) × (total in flight + 1)), which with equal weights is
 * the paper's ceil(c × (m + 1) / n). Otherwise the pick walks on to the next table slots (a fixed,
 * key-specific sequence of endpoints, so overflow of one key goes to the same places every time) until one
 * is under its bound. Since the in-flight counts sum to the total, some endpoint is always under a bound
 * with c ≥ 1; a retry's excluded endpoint is walked past like a full one.
 *
 * The total in flight is kept O(1): the policy remembers the count it last read per endpoint and their
 * sum, re-reads the candidate it tests and REFRESH endpoints in rotation per pick, so the sum is exact up
 * to 16 endpoints and at most n/16 picks stale beyond (departures not yet seen make the bound a little
 * looser, never tighter).
 *
 * A request without a key (hashKey 0: the header, cookie or query parameter missing) goes to `fallback`,
 * which also gets every rebuild, observation and tick (so a learned fallback keeps learning from all
 * traffic) and answers explain().
 */
export class HashPolicy implements Policy {
  readonly name = 'hash'
  private readonly balanceFactor: number
  /** Maglev lookup table: slot → position in the available list. */
  private table = new Int32Array(0)
  /** M, a prime; 0 with no endpoint. */
  private size = 0
  /** balanceFactor × weight / total weight, by position. */
  private share = new Float64Array(0)
  /** The in-flight count last read, by position, and their sum. */
  private seen = new Int32Array(0)
  private total = 0
  /** Next position `refresh` re-reads. */
  private cursor = 0
  /** The last pick went to the fallback (explainPick then asks it). */
  private lastFallback = false

  constructor(
    options: HashOptions,
    /** Picks requests without a key; shares rebuild, observe and tick. */
    readonly fallback: Policy,
  ) {
    this.balanceFactor = options.balanceFactor
  }

  rebuild(available: readonly Endpoint[]): void {
    this.fallback.rebuild(available)
    const n = available.length
    this.size = n === 0 ? 0 : tableSize(n)
    this.table = maglevTable(available, this.size)
    let totalWeight = 0
    for (let i = 0; i < n; i++) totalWeight += available[i].weight
    this.share = Float64Array.from(available, (e) => (this.balanceFactor * e.weight) / totalWeight)
    this.seen = Int32Array.from(available, (e) => e.inflight)
    this.total = 0
    for (let i = 0; i < n; i++) this.total += this.seen[i]
    this.cursor = 0
  }

  pick(available: readonly Endpoint[], ctx: PickContext): Endpoint | null {
    const key = ctx.hashKey
    const size = this.size
    if (key === 0 || size === 0) {
      this.lastFallback = true
      return this.fallback.pick(available, ctx)
    }
    this.lastFallback = false
    this.refresh(available)
    const table = this.table
    const exclude = ctx.exclude
    let slot = (key >>> 0) % size
    let home = -1
    // Walk the key's table slots (a near-random sequence of endpoints, fixed per key): 2n + 8 steps meet most
    // endpoints. One under its bound always exists (the counts sum to the total), and the scan below finds it
    // in the rare case the walk did not.
    const steps = Math.min(size, 2 * available.length + 8)
    for (let s = 0; s < steps; s++) {
      const position = table[slot]
      const e = available[position]
      if (e.index !== exclude) {
        if (home < 0) home = position
        if (this.underBound(position, e)) return e
      }
      slot = slot + 1 === size ? 0 : slot + 1
    }
    // Rare: every endpoint seen was full. Scan the rest in order from home; at worst stay home.
    if (home < 0) home = table[(key >>> 0) % size] // only the excluded one was seen
    const n = available.length
    for (let k = 1; k < n; k++) {
      const position = home + k < n ? home + k : home + k - n
      const e = available[position]
      if (e.index !== exclude && this.underBound(position, e)) return e
    }
    const stay = available[home]
    return stay.index !== exclude ? stay : available[home + 1 < n ? home + 1 : 0]
  }

  observe(e: Endpoint, latencyMs: number, status: number, outcome: Outcome, nowMs: number): void {
    this.fallback.observe(e, latencyMs, status, outcome, nowMs)
  }

  tick(nowMs: number): void {
    this.fallback.tick(nowMs)
  }

  explain(e: Endpoint): Record<string, number> {
    return this.fallback.explain?.(e) ?? {}
  }

  explainPick(): PickExplanation | null {
    return this.lastFallback && this.fallback.explainPick !== undefined ? this.fallback.explainPick() : null
  }

  /** What the fallback learned carries over: from a previous hash policy's fallback, or from a policy of its kind. */
  adopt(previous: Policy, from: Int32Array): void {
    const source = previous instanceof HashPolicy ? previous.fallback : previous
    if (this.fallback.adopt !== undefined) this.fallback.adopt(source, from)
  }

  /** The in-flight count of `e` (at `position`) is below its bound; its count in the running total is brought up to date. */
  private underBound(position: number, e: Endpoint): boolean {
    const inflight = e.inflight
    this.total += inflight - this.seen[position]
    this.seen[position] = inflight
    return inflight < Math.ceil(this.share[position] * (this.total + 1))
  }

  /** Re-reads REFRESH in-flight counts in rotation (all of them when n ≤ REFRESH), keeping the total current. */
  private refresh(available: readonly Endpoint[]): void {
    const n = available.length
    const seen = this.seen
    const count = n < REFRESH ? n : REFRESH
    let cursor = this.cursor
    let total = this.total
    for (let k = 0; k < count; k++) {
      const inflight = available[cursor].inflight
      total += inflight - seen[cursor]
      seen[cursor] = inflight
      cursor = cursor + 1 === n ? 0 : cursor + 1
    }
    this.cursor = cursor
    this.total = total
  }
}

/**
 * Maglev's population (Eisenbud et al., §3.4, Pseudocode 1) with weighted turns: endpoint i's permutation is
 * offset_i, offset_i + skip_i, … mod size (skip in [1, size − 1], coprime with the prime size, so it visits
 * every slot); in each round every endpoint earns weight/maxWeight of a turn and spends each whole turn
 * claiming the next slot of its permutation still free, until the table is full.
 */
export function maglevTable(available: readonly Endpoint[], size: number): Int32Array<ArrayBuffer> {
  const n = available.length
  const table = new Int32Array(size).fill(-1)
  if (n === 0) return table
  const next = new Int32Array(n)
  const skip = new Int32Array(n)
  const credit = new Int32Array(n)
  let maxWeight = 0
  for (let i = 0; i < n; i++) {
    const id = available[i].id
    next[i] = hash32(id, 0, id.length, OFFSET_SEED) % size
    skip[i] = (hash32(id, 0, id.length, SKIP_SEED) % (size - 1)) + 1
    if (available[i].weight > maxWeight) maxWeight = available[i].weight
  }
  let filled = 0
  for (;;) {
    for (let i = 0; i < n; i++) {
      credit[i] += available[i].weight // integers: exact, no drift
      if (credit[i] < maxWeight) continue
      credit[i] -= maxWeight
      const step = skip[i]
      let slot = next[i]
      while (table[slot] >= 0) {
        slot += step // < 2·size < 2^31: no modulo needed
        if (slot >= size) slot -= size
      }
      table[slot] = i
      slot += step
      next[i] = slot >= size ? slot - size : slot
      if (++filled === size) return table
    }
  }
}

/** The Maglev table size for n endpoints: the same for every n up to 655, then up to 2621, … */
export function tableSize(n: number): number {
  let base = SMALLEST_TABLE
  while (base < TABLE_FACTOR * n) base *= 4
  return smallestPrimeAtLeast(base)
}

/** The smallest prime ≥ m (trial division: m is at most a few million, once per rebuild). */
export function smallestPrimeAtLeast(m: number): number {
  for (let p = Math.max(2, Math.ceil(m)); ; p++) if (isPrime(p)) return p
}

function isPrime(p: number): boolean {
  if (p < 4) return p >= 2
  if (p % 2 === 0) return false
  for (let d = 3; d * d <= p; d += 2) if (p % d === 0) return false
  return true
}
