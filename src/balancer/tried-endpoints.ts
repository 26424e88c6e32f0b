/**
 * The endpoints one request has gone to, as a bit mask in a number: bit i for endpoint index i. A request makes
 * at most 1 + maxRetries (≤ 10) + 1 hedge tries, so a mask is enough and costs no allocation. Indexes of 31
 * and above get no bit (JavaScript's bit operators work on 32-bit signed integers): for them only the
 * last failure is avoided, as PickContext.exclude does for every index.
 */
export function triedBit(index: number): number {
  return index < 31 ? 1 << index : 0
}

/** Whether `index` is in the mask `tried` (always false for indexes of 31 and above). */
export function wasTried(tried: number, index: number): boolean {
  return (tried & triedBit(index)) !== 0
}

/**
 * Draws per retry pick, the first included, before the retry takes the first endpoint not tried: the policy's
 * choice where it finds one (a random policy over three endpoints with two tried finds the third with
 * probability 1/2 per draw, so 8 draws miss it 1/256 of the time). Only retries pay for them (a pick is
 * 0.1–0.4 µs). Envoy's previous_hosts predicate redraws the same way, host_selection_retry_max_attempts times.
 */
export const RETRY_REDRAWS = 8
