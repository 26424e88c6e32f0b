/** No slot: the end of the recency list. */
const NONE = -1

/**
 * Token buckets by client key, at most `capacity` of them: a Map from key to a dense slot, the slots' tokens
 * and last refill time in Float64Arrays, and a doubly linked recency list in Int32Arrays. A take() for a key
 * already held is O(1) and allocation-free (Map.get, typed-array writes); a new key takes a free slot or the
 * least recently used one (one Map delete and set).
 *
 * Refill is lazy (no timer): tokens = min(burst, tokens + elapsed × rate), computed when a key is seen. A new
 * or evicted-and-returning key starts full: forgetting a bucket can only admit more (at most `burst` more per
 * eviction), never refuse a request the exact limit would allow; and a key idle for burst/rate is full again
 * anyway, so with capacity above the number of keys active within that time eviction forgets nothing.
 */
export class BucketLru {
  private readonly slots = new Map<string, number>()
  private readonly keys: string[]
  private readonly tokens: Float64Array
  private readonly refilledMs: Float64Array
  private readonly newer: Int32Array
  private readonly older: Int32Array
  /** Most and least recently used slots; NONE while empty. */
  private head = NONE
  private tail = NONE
  /** Keys forgotten to make room (for metrics). */
  evictions = 0

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer, got ${capacity}`)
    this.keys = new Array<string>(capacity).fill('')
    this.tokens = new Float64Array(capacity)
    this.refilledMs = new Float64Array(capacity)
    this.newer = new Int32Array(capacity).fill(NONE)
    this.older = new Int32Array(capacity).fill(NONE)
  }

  get size(): number {
    return this.slots.size
  }

  /**
   * Takes one token from `key`'s bucket at `nowMs`: 0 when granted, else the ms until a token will be there.
   * `ratePerMs` tokens per ms, at most `burst` held.
   */
  take(key: string, nowMs: number, ratePerMs: number, burst: number): number {
    let slot = this.slots.get(key)
    if (slot === undefined) slot = this.admit(key, nowMs, burst)
    else this.touch(slot)
    const tokens = Math.min(burst, this.tokens[slot] + (nowMs - this.refilledMs[slot]) * ratePerMs)
    this.refilledMs[slot] = nowMs
    if (tokens >= 1) {
      this.tokens[slot] = tokens - 1
      return 0
    }
    this.tokens[slot] = tokens
    return (1 - tokens) / ratePerMs
  }

  /** Tokens `key` holds at `nowMs` (refill included, nothing taken); burst for an unknown key. */
  peek(key: string, nowMs: number, ratePerMs: number, burst: number): number {
    const slot = this.slots.get(key)
    if (slot === undefined) return burst
    return Math.min(burst, this.tokens[slot] + (nowMs - this.refilledMs[slot]) * ratePerMs)
  }

  /**
   * Takes over `previous`'s buckets (a config reload keeping this limit), most recent first, as many as fit;
   * tokens over the new burst are cut to it. The older ones beyond capacity are forgotten (they start full).
   */
  adopt(previous: BucketLru, burst: number): void {
    const order: number[] = []
    for (let s = previous.head; s !== NONE && order.length < this.capacity; s = previous.older[s]) order.push(s)
    for (let k = order.length - 1; k >= 0; k--) {
      const from = order[k]
      const slot = this.admit(previous.keys[from], previous.refilledMs[from], burst)
      this.tokens[slot] = Math.min(burst, previous.tokens[from])
    }
  }

  /** A new key: a free slot, or the least recently used one's; starts full and most recent. */
  private admit(key: string, nowMs: number, burst: number): number {
    let slot: number
    if (this.slots.size < this.capacity) {
      slot = this.slots.size
    } else {
      slot = this.tail
      this.unlink(slot)
      this.slots.delete(this.keys[slot])
      this.evictions++
    }
    this.slots.set(key, slot)
    this.keys[slot] = key
    this.tokens[slot] = burst
    this.refilledMs[slot] = nowMs
    this.pushHead(slot)
    return slot
  }

  private touch(slot: number): void {
    if (slot === this.head) return
    this.unlink(slot)
    this.pushHead(slot)
  }

  private unlink(slot: number): void {
    const newer = this.newer[slot]
    const older = this.older[slot]
    if (newer === NONE) this.head = older
    else this.older[newer] = older
    if (older === NONE) this.tail = newer
    else this.newer[older] = newer
    this.newer[slot] = NONE
    this.older[slot] = NONE
  }

  private pushHead(slot: number): void {
    this.older[slot] = this.head
    this.newer[slot] = NONE
    if (this.head !== NONE) this.newer[this.head] = slot
    this.head = slot
    if (this.tail === NONE) this.tail = slot
  }
}
