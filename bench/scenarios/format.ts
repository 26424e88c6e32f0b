/** ms with a precision that suits the size: 3.42, 34.2, 342; '-' when there was nothing to measure. */
export function formatMs(ms: number): string {
  if (Number.isNaN(ms)) return '-'
  return ms.toFixed(ms < 10 ? 2 : ms < 100 ? 1 : 0)
}

export function formatPct(pct: number): string {
  return Number.isNaN(pct) ? '-' : pct.toFixed(1)
}

/** Error % to two places: the healing target is 0.1 %, so one place would hide it. */
export function formatErrorPct(pct: number): string {
  return Number.isNaN(pct) ? '-' : pct.toFixed(2)
}
