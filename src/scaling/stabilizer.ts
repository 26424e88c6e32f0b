/**
 * Hysteresis on the recommended count, as Kubernetes' HorizontalPodAutoscaler does it: a recommendation
 * within `tolerance` of the published count changes nothing (the HPA's 10 %), and the published count is the
 * highest recommendation of the last `windowMs` (the HPA's scale-down stabilisation window, 5 min), so it
 * rises at once and falls only when a whole window asked for less.
 */
export class Stabilizer {
  /** null before the first recommendation. */
  published: number | null = null
  private readonly times: number[] = []
  private readonly counts: number[] = []

  constructor(
    private readonly windowMs: number,
    private readonly tolerance: number,
  ) {}

  /** desired: the fractional count; count: it rounded up and floored at the minimum. Returns whether published changed. */
  update(desired: number, count: number, nowMs: number): boolean {
    const current = this.published
    const candidate = current !== null && Math.abs(desired / current - 1) <= this.tolerance ? current : count
    this.times.push(nowMs)
    this.counts.push(candidate)
    while (this.times.length > 1 && nowMs - this.times[0] > this.windowMs) {
      this.times.shift()
      this.counts.shift()
    }
    let highest = candidate
    for (const c of this.counts) if (c > highest) highest = c
    this.published = highest
    return highest !== current
  }
}
