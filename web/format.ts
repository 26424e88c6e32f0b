/** Number formats for the table and the timeline: short, fixed units, '—' for what is not there. */

export const NONE = '—'

export function ms(value: number | null): string {
  if (value === null || !Number.isFinite(value)) return NONE
  return value < 10 ? `${value.toFixed(1)} ms` : `${Math.round(value)} ms`
}

export function percent(fraction: number): string {
  return fraction === 0 ? '0 %' : `${(fraction * 100).toFixed(fraction < 0.1 ? 1 : 0)} %`
}

export function rate(perSecond: number): string {
  return perSecond < 10 ? perSecond.toFixed(1) : String(Math.round(perSecond))
}

/** A whole count with thin groups of three digits: 1 200, 12 500. */
export function count(value: number): string {
  return String(Math.round(value)).replace(/\B(?=(\d{3})+(?!\d))/g, ' ')
}

export function duration(msValue: number): string {
  if (msValue < 1000) return `${Math.round(msValue)} ms`
  const s = msValue / 1000
  return s < 120 ? `${s.toFixed(s < 10 ? 1 : 0)} s` : `${Math.round(s / 60)} min`
}

export function clockTime(timeMs: number): string {
  return new Date(timeMs).toLocaleTimeString(undefined, { hour12: false })
}
