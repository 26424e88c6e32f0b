/** One endpoint's samples inside the window: times (ms) and values, oldest first. */
export interface WindowSamples {
  times: number[]
  values: number[]
}

/**
 * N rings of (time ms, value) samples, one per endpoint, preallocated: push() is O(1) and allocation-free;
 * the newest `capacity` samples are kept, and since() copies out those inside a time window for a fit.
 */
export class SampleWindows {
  private readonly times: Float64Array
  private readonly values: Float64Array
  private readonly next: Int32Array
  private readonly filled: Int32Array

  constructor(
    endpoints: number,
    private readonly capacity: number,
  ) {
    this.times = new Float64Array(endpoints * capacity)
    this.values = new Float64Array(endpoints * capacity)
    this.next = new Int32Array(endpoints)
    this.filled = new Int32Array(endpoints)
  }

  push(i: number, timeMs: number, value: number): void {
    const slot = i * this.capacity + this.next[i]
    this.times[slot] = timeMs
    this.values[slot] = value
    this.next[i] = this.next[i] + 1 === this.capacity ? 0 : this.next[i] + 1
    if (this.filled[i] < this.capacity) this.filled[i]++
  }

  /** Samples of endpoint i taken at or after sinceMs, oldest first. */
  since(i: number, sinceMs: number): WindowSamples {
    const n = this.filled[i]
    const base = i * this.capacity
    const oldest = n < this.capacity ? 0 : this.next[i]
    const out: WindowSamples = { times: [], values: [] }
    for (let k = 0; k < n; k++) {
      const slot = base + ((oldest + k) % this.capacity)
      if (this.times[slot] < sinceMs) continue
      out.times.push(this.times[slot])
      out.values.push(this.values[slot])
    }
    return out
  }
}
