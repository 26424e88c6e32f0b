/** Median of `values`, which it sorts in place; the mean of the middle two for an even count; NaN when empty. */
export function medianInPlace(values: Float64Array): number {
  const n = values.length
  if (n === 0) return Number.NaN
  values.sort()
  const mid = n >> 1
  return n % 2 === 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2
}
