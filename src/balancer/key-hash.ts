/**
 * 32-bit string hashes for consistent hashing (balancer/policies/hash.ts): FNV-1a over the UTF-16 code units
 * of s[start, end) (Fowler, Noll, Vo; offset basis 2166136261, prime 16777619), finished with murmur3's fmix32
 * avalanche so that the low bits (taken modulo the Maglev table size) depend on every input bit. A range rather
 * than a substring, so a header or cookie value is hashed in place without allocating.
 */
export function hash32(s: string, start = 0, end = s.length, seed = 0x811c9dc5): number {
  let h = seed >>> 0
  for (let i = start; i < end; i++) {
    h ^= s.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return fmix32(h)
}

/** murmur3's finaliser: every input bit flips each output bit with probability about 1/2. */
export function fmix32(h: number): number {
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

/**
 * The PickContext.hashKey of a request key: the hash's top 30 bits, so that the value stays a small integer
 * (V8 keeps integers below 2^30 unboxed; a larger one stored in the reused PickContext would be a fresh heap
 * number per request), which is plenty for a Maglev table of at most a few million slots. 0 is reserved for
 * "no key" (the policy's fallback), so a real hash of 0 becomes 1.
 */
export function keyHash(s: string, start = 0, end = s.length): number {
  const h = hash32(s, start, end) >>> 2
  return h === 0 ? 1 : h
}
