import type { DashboardEndpoint, DashboardScaling, DashboardUpstream } from '../src/admin/dashboard-frame.js'
import { count, duration, NONE, percent } from './format.js'

/*
 * The texts of an upstream's signals (scaling, storm) and of an endpoint's removals and operator settings: pure
 * functions of a frame, no DOM, so the unit tests run them under Node (test/unit/web/signals-text.test.ts).
 */

/** "needs 5 of 3 endpoints at 1 200 req/s forecast"; "no recommendation yet (why)"; '' without a signal. */
export function scalingText(s: DashboardScaling | null): string {
  if (s === null) return ''
  if (s.recommended === null) return s.reason === null ? 'no recommendation yet' : `no recommendation yet (${s.reason})`
  const at = s.forecastRps === null ? '' : ` at ${count(s.forecastRps)} req/s forecast`
  return `needs ${s.recommended} of ${s.current} endpoints${at}`
}

/** The storm state while storming or relaxing after one; '' otherwise (and with damping off). */
export function stormText(storm: DashboardUpstream['storm']): string {
  if (storm === null) return ''
  if (storm.storming) return `STORM: retries and hedges at ${percent(storm.level)}`
  return storm.level < 1 ? `after a storm: retries and hedges back to ${percent(storm.level)}` : ''
}

/** Out of rotation by ejection (for how long), a drain, or a backend's Retry-After hold; '—' when none. */
export function removalText(ejected: boolean, ejectionRemainingMs: number, drained: boolean, holdMs: number): string {
  const parts: string[] = []
  if (ejected) parts.push(`ejected, ${duration(ejectionRemainingMs)} left`)
  if (drained) parts.push('drained')
  if (holdMs > 0) parts.push(`Retry-After hold, ${duration(holdMs)} left`)
  return parts.length === 0 ? NONE : parts.join('; ')
}

/** The marker of what an operator set ("operator: drained, weight 2"); '' when the endpoint runs as configured. */
export function manualText(manual: DashboardEndpoint['manual']): string {
  const parts: string[] = []
  if (manual.drained) parts.push('drained')
  if (manual.ejected) parts.push('ejected')
  if (manual.weight !== null) parts.push(`weight ${manual.weight}`)
  return parts.length === 0 ? '' : `operator: ${parts.join(', ')}`
}
