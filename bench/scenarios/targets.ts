/**
 * The targets of issue 3 (the policy alone copes) and issue 4 (self-healing), judged PASS or MISS on a
 * run's results. A target whose scenario or mode was not run is left out; one whose policy did not run
 * (or was skipped) is a MISS with the reason.
 */
import { formatErrorPct, formatMs } from './format.js'
import { formatLead } from './health-events.js'
import type { RunMode } from './proxy-config.js'
import { findCell, type ScenarioResults } from './results.js'
import { MAX_SEND_LAG_P99_MS, type CellResult } from './run-cell.js'
import { CAPACITY_SERVICE_MS, SCENARIOS } from './scenarios.js'
import { serviceTimeP99Ms } from './service-time.js'

/** The learned policy the issue-3 targets are about. */
const LEARNED = 'adaptive'
/** Client-visible error % allowed with healing on, for idempotent traffic (the load is all GETs). */
const HEALING_MAX_ERROR_PCT = 0.1
/** Scenarios whose errors healing must hide. */
const HEALED_SCENARIOS = ['flapping', 'degrade-then-die', 'hang', 'kill-and-return']
/** The scenario whose predictive drain must come before the backend refuses connections. */
const FORECAST_SCENARIO = 'degrade-then-die'

/** Which number of a cell a target reads: p99 or error %, over the whole run or one window (scenarios.ts). */
interface Metric {
  readonly name: 'p99' | 'err %'
  readonly window: string | null
}

/** What a value is held against: another policy's same metric in the same scenario and mode, or a fixed value. */
type Reference = { readonly policy: string } | { readonly label: string; readonly value: number }

/** value ≤ maxRatio × reference. */
interface Bound {
  readonly issue: 3 | 4
  readonly scenario: string
  readonly mode: RunMode
  readonly policy: string
  readonly metric: Metric
  readonly reference: Reference
  readonly maxRatio: number
}

export interface TargetVerdict {
  readonly issue: 3 | 4
  readonly scenario: string
  /** The target and the measured numbers, in words. */
  readonly text: string
  readonly verdict: 'PASS' | 'MISS'
}

const P99: Metric = { name: 'p99', window: null }
const ERRORS: Metric = { name: 'err %', window: null }

function policyAlone(scenario: string, metric: Metric, reference: Reference, maxRatio: number): Bound {
  return { issue: 3, scenario, mode: 'policy', policy: LEARNED, metric, reference, maxRatio }
}

/** Issue 3, in the order of the issue. */
const ISSUE_3: readonly Bound[] = [
  policyAlone('one-slow', P99, { policy: 'least_request' }, 0.5),
  policyAlone('degrade-then-die', { name: 'p99', window: 'before death' }, { policy: 'least_request' }, 0.5),
  policyAlone('unequal-capacity', P99, { policy: 'least_request' }, 1),
  policyAlone('unequal-capacity', P99, { label: 'service-time p99', value: serviceTimeP99Ms(CAPACITY_SERVICE_MS) }, 1.2),
  ...SCENARIOS.map((s) => policyAlone(s.name, P99, { policy: 'peak_ewma' }, 1.05)),
  policyAlone('flapping', ERRORS, { policy: 'round_robin' }, 0.3),
  policyAlone('kill-and-return', ERRORS, { policy: 'round_robin' }, 0.3),
  // Exploration on a budget: the p99 within 1.3× of the healthy backends' own service-time p99.
  ...['several-slow', 'half-slow', 'pool-32', 'slow-then-recovered'].map((name) =>
    policyAlone(name, P99, { label: 'healthy service-time p99', value: serviceTimeP99Ms(10) }, 1.3),
  ),
]

/** Issue 4's error bound, for every policy that was asked for. */
function issue4Bounds(policies: readonly string[]): Bound[] {
  return HEALED_SCENARIOS.flatMap((scenario) =>
    policies.map((policy): Bound => {
      const reference = { label: `${HEALING_MAX_ERROR_PCT} %`, value: HEALING_MAX_ERROR_PCT }
      return { issue: 4, scenario, mode: 'healing', policy, metric: ERRORS, reference, maxRatio: 1 }
    }),
  )
}

/** Every target the run's scenarios and modes allow judging, issue 3 first. */
export function judgeTargets(results: readonly ScenarioResults[], policies: readonly string[]): TargetVerdict[] {
  const ran = (scenario: string, mode: RunMode): boolean => results.some((r) => r.scenario === scenario && r.mode === mode)
  const bounds = [...ISSUE_3, ...issue4Bounds(policies)].filter((b) => ran(b.scenario, b.mode))
  const leads = ran(FORECAST_SCENARIO, 'healing') ? policies.map((p) => judgeLead(results, p)) : []
  return [...bounds.map((b) => judgeBound(results, b)), ...leads]
}

/** One line per target: "[issue 3] one-slow: adaptive p99 ≤ 0.50× least_request: 41.2 ms vs limit 49.1 ms (0.42×) PASS". */
export function renderTargets(verdicts: readonly TargetVerdict[]): string {
  return verdicts.map((v) => `[issue ${v.issue}] ${v.scenario}: ${v.text} ${v.verdict}`).join('\n')
}

function judgeBound(results: readonly ScenarioResults[], b: Bound): TargetVerdict {
  const head = `${b.policy} ${b.metric.name}${b.metric.window === null ? '' : ` (${b.metric.window})`} ≤ ${target(b)}`
  const policies = 'policy' in b.reference ? [b.policy, b.reference.policy] : [b.policy]
  const judged = (text: string, pass: boolean): TargetVerdict => ({
    issue: b.issue,
    scenario: b.scenario,
    text: `${head}: ${text}${busyNote(policies.map((p) => findCell(results, b.scenario, b.mode, p)))}`,
    verdict: pass ? 'PASS' : 'MISS',
  })
  const value = cellValue(results, b, b.policy)
  const reference = 'policy' in b.reference ? cellValue(results, b, b.reference.policy) : b.reference.value
  if (typeof value === 'string') return judged(value, false)
  if (typeof reference === 'string') return judged(reference, false)
  const limit = b.maxRatio * reference
  const ratio = reference > 0 ? ` (${(value / reference).toFixed(2)}×)` : ''
  return judged(`${format(b.metric, value)} vs limit ${format(b.metric, limit)}${ratio}`, value <= limit)
}

/** The bound's metric in `policy`'s cell of its scenario and mode, or why there is none. */
function cellValue(results: readonly ScenarioResults[], b: Bound, policy: string): number | string {
  const cell = findCell(results, b.scenario, b.mode, policy)
  return cell === undefined ? `${policy} did not run` : read(cell, b.metric)
}

/** Issue 4: with healing on, b0's first drain comes before the scripted moment it refuses connections. */
function judgeLead(results: readonly ScenarioResults[], policy: string): TargetVerdict {
  const cell = findCell(results, FORECAST_SCENARIO, 'healing', policy)
  const head = `${policy} drains b0 before it refuses connections`
  const base = { issue: 4 as const, scenario: FORECAST_SCENARIO }
  if (cell === undefined) return { ...base, text: `${head}: ${policy} did not run`, verdict: 'MISS' }
  const lead = cell.drainLeadS
  return { ...base, text: `${head}: lead ${formatLead(lead)}${busyNote([cell])}`, verdict: lead !== null && lead > 0 ? 'PASS' : 'MISS' }
}

/** A warning when a cell behind the verdict measured a busy machine (run.ts ran it again, and it still lagged). */
function busyNote(cells: readonly (CellResult | undefined)[]): string {
  const busy = cells.filter((c): c is CellResult => c !== undefined && c.sendLagP99Ms > MAX_SEND_LAG_P99_MS)
  if (busy.length === 0) return ''
  return ` [busy machine: send lag p99 ${busy.map((c) => `${formatMs(c.sendLagP99Ms)} ms in ${c.policy}`).join(', ')}]`
}

function target(b: Bound): string {
  const ratio = b.maxRatio === 1 ? '' : `${b.maxRatio.toFixed(2)}× `
  return ratio + ('policy' in b.reference ? b.reference.policy : b.reference.label)
}

/** The metric's value in a cell; NaN when the window measured nothing. */
function read(cell: CellResult, metric: Metric): number {
  const summary = metric.window === null ? cell.overall : cell.windows.find((w) => w.label === metric.window)?.summary
  if (summary === undefined) throw new Error(`no window "${metric.window}" in ${cell.policy}'s results`)
  return metric.name === 'p99' ? summary.p99 : summary.errorPct
}

function format(metric: Metric, value: number): string {
  return metric.name === 'p99' ? `${formatMs(value)} ms` : `${formatErrorPct(value)} %`
}
