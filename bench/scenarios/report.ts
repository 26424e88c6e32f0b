import type { CellResult } from './run-cell.js'
import type { Scenario } from './scenarios.js'
import { formatTable } from '../lib/table.js'
import { formatMs, formatPct } from './format.js'

/** A policy Baton would not start with, and its error. */
export interface Skipped {
  readonly policy: string
  readonly reason: string
}

/** The tables for one scenario: whole run per policy, then each window per policy. */
export function scenarioReport(scenario: Scenario, cells: readonly CellResult[], skipped: readonly Skipped[]): string {
  const parts = [`== ${scenario.name}: ${scenario.summary}`]
  if (cells.length > 0) parts.push(overallTable(scenario, cells))
  if (cells.length > 0 && scenario.windows.length > 0) parts.push(windowTable(scenario, cells))
  for (const s of skipped) parts.push(`(skipped ${s.policy}: ${s.reason})`)
  return parts.join('\n\n') + '\n'
}

function overallTable(scenario: Scenario, cells: readonly CellResult[]): string {
  const shares = scenario.backends.map((b) => `${b.name} %`)
  const header = ['policy', 'p50 ms', 'p90 ms', 'p99 ms', 'p99.9 ms', 'err %', ...shares, 'proxy loop %', 'backend loop %', 'send lag p99 ms']
  const rows = cells.map((c) => [
    c.policy,
    formatMs(c.overall.p50),
    formatMs(c.overall.p90),
    formatMs(c.overall.p99),
    formatMs(c.overall.p999),
    formatPct(c.overall.errorPct),
    ...c.overall.sharePct.map(formatPct),
    formatPct(c.proxyLoopPct),
    formatPct(c.backendLoopPct),
    formatMs(c.sendLagP99Ms),
  ])
  return formatTable(header, rows)
}

/** b0 is the backend in trouble in every scenario, so its share is the one each window shows. */
function windowTable(scenario: Scenario, cells: readonly CellResult[]): string {
  const troubled = scenario.backends[0].name
  const header = ['window', 'policy', 'p50 ms', 'p99 ms', 'err %', `${troubled} %`]
  const rows = scenario.windows.flatMap((_, w) =>
    cells.map((c) => {
      const win = c.windows[w]
      const when = `${win.label} ${(win.fromMs / 1_000).toFixed(1)}-${(win.toMs / 1_000).toFixed(1)} s`
      return [when, c.policy, formatMs(win.summary.p50), formatMs(win.summary.p99), formatPct(win.summary.errorPct), formatPct(win.summary.sharePct[0])]
    }),
  )
  return formatTable(header, rows)
}
