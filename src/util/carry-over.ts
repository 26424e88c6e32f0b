/** Typed arrays of per-endpoint state, one slot (or `stride` slots) per endpoint index. */
type Slots = Float64Array | Float32Array | Int32Array | Uint32Array | Uint8Array

/**
 * A config reload keeps what was learned about endpoints that stayed: for every new index j with
 * from[j] ≥ 0, the `stride` slots of endpoint from[j] in `previous` are copied to endpoint j in `next`.
 * Endpoints new to the set (from[j] = −1) keep what `next` started them with.
 */
export function carrySlots(previous: Slots, next: Slots, from: Int32Array, stride = 1): void {
  for (let j = 0; j < from.length; j++) {
    const i = from[j]
    if (i < 0) continue
    for (let k = 0; k < stride; k++) next[j * stride + k] = previous[i * stride + k]
  }
}
