import { formatTable } from '../lib/table.js'
import { formatErrorPct, formatMs } from './format.js'
import { formatLead } from './health-events.js'
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
