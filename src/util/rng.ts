/** A source of uniform random numbers in [0, 1). Injected so tests can seed it. */
export interface Rng {
  next(): number
}

export const mathRng: Rng = { next: Math.random }

/**
 * mulberry32: a 32-bit-state generator, fast and good enough for load balancing choices
 * (passes gjrand and PractRand to 2^32; source: Tommy Ettinger's public-domain mulberry32).
 */
export class SeededRng implements Rng {
  private state: number

  constructor(seed: number) {
    this.state = seed >>> 0
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0
    let t = this.state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
