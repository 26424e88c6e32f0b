import { formatTable } from '../lib/table.js'
import { formatErrorPct, formatMs, formatPct } from './format.js'
import { countEvents, formatLead } from './health-events.js'
import { MODE_TITLES, type RunMode } from './proxy-config.js'
import type { Skipped } from './results.js'
import type { CellResult } from './run-cell.js'
import type { Scenario } from './scenarios.js'

/** The tables for one scenario in one mode: whole run per policy, each window per policy, then Baton's health events. */
export function scenarioReport(scenario: Scenario, mode: RunMode, cells: readonly CellResult[], skipped: readonly Skipped[]): string {
  const parts = [`== ${scenario.name}: ${scenario.summary}\n   [${MODE_TITLES[mode]}]`]
  if (cells.length > 0) parts.push(overallTable(scenario, cells))
  if (cells.length > 0 && scenario.windows.length > 0) parts.push(windowTable(scenario, cells))
  if (cells.length > 0) parts.push(eventLines(scenario, cells))
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
    formatErrorPct(c.overall.errorPct),
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
      return [when, c.policy, formatMs(win.summary.p50), formatMs(win.summary.p99), formatErrorPct(win.summary.errorPct), formatPct(win.summary.sharePct[0])]
    }),
  )
  return formatTable(header, rows)
}

/** Per policy: Baton's health events (backend, kind, count, first time); where b0 dies, how long before it b0 was drained. */
function eventLines(scenario: Scenario, cells: readonly CellResult[]): string {
  const width = Math.max(...cells.map((c) => c.policy.length))
  const lead = (c: CellResult): string => (scenario.refusesAtS === null ? '' : ` | b0 drain lead ${formatLead(c.drainLeadS)}`)
  const lines = cells.map((c) => `  ${c.policy.padEnd(width)}  ${countEvents(c.events)}${lead(c)}`)
  return ['health events (run seconds of the first in brackets):', ...lines].join('\n')
}
