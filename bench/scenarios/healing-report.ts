import { formatTable } from '../lib/table.js'
import { formatErrorPct, formatMs } from './format.js'
import { formatLead } from './health-events.js'
import { DEFAULTS_CELL } from './proxy-config.js'
import { findCell, type ScenarioResults } from './results.js'
import type { Scenario } from './scenarios.js'

/**
 * Issue 4's before/after table: per scenario and policy, err % and p99 over the whole run with the
 * policy alone and with healing on ('-' where that mode did not run), and how long before b0 refused
 * connections it was drained (scenarios where it refuses).
 */
export function healingComparison(results: readonly ScenarioResults[], scenarios: readonly Scenario[], policies: readonly string[]): string {
  const header = ['scenario', 'policy', 'err % alone', 'err % healing', 'p99 ms alone', 'p99 ms healing', 'b0 drain lead']
  const rows = scenarios.flatMap((s) =>
    policies.flatMap((policy) => {
      const healing = findCell(results, s.name, 'healing', policy)
      if (healing === undefined) return []
      const alone = findCell(results, s.name, 'policy', policy)
      return [
        [
          s.name,
          policy,
          alone === undefined ? '-' : formatErrorPct(alone.overall.errorPct),
          formatErrorPct(healing.overall.errorPct),
          alone === undefined ? '-' : formatMs(alone.overall.p99),
          formatMs(healing.overall.p99),
          s.refusesAtS === null ? '-' : formatLead(healing.drainLeadS),
        ],
      ]
    }),
  )
  return formatTable(header, rows)
}

/**
 * Issue 13's table: per scenario, the shipped defaults' p99 and err % over the whole run, each scenario's
 * windows (the backend in trouble's worst moments), and how long before b0 refused connections it was drained.
 */
export function defaultsTable(results: readonly ScenarioResults[], scenarios: readonly Scenario[]): string {
  const header = ['scenario', 'p50 ms', 'p99 ms', 'err %', 'windows (p99 ms / err %)', 'b0 drain lead']
  const rows = scenarios.flatMap((s) => {
    const cell = findCell(results, s.name, 'defaults', DEFAULTS_CELL)
    if (cell === undefined) return []
    const windows = cell.windows.map((w) => `${w.label}: ${formatMs(w.summary.p99)} / ${formatErrorPct(w.summary.errorPct)}`).join('; ')
    return [
      [
        s.name,
        formatMs(cell.overall.p50),
        formatMs(cell.overall.p99),
        formatErrorPct(cell.overall.errorPct),
        windows === '' ? '-' : windows,
        s.refusesAtS === null ? '-' : formatLead(cell.drainLeadS),
      ],
    ]
  })
  return formatTable(header, rows)
}
