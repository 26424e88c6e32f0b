import type { RunMode } from './proxy-config.js'
import type { CellResult } from './run-cell.js'

/** A policy Baton would not start with, and its error. */
export interface Skipped {
  readonly policy: string
  readonly reason: string
}

/** Every policy through one scenario in one mode: one element of the JSON's `results`. */
export interface ScenarioResults {
  readonly scenario: string
  readonly summary: string
  readonly mode: RunMode
  readonly cells: readonly CellResult[]
  readonly skipped: readonly Skipped[]
}

/** The cell of `policy` in `scenario` and `mode`, or undefined when it did not run. */
export function findCell(results: readonly ScenarioResults[], scenario: string, mode: RunMode, policy: string): CellResult | undefined {
  return results.find((r) => r.scenario === scenario && r.mode === mode)?.cells.find((c) => c.policy === policy)
}
