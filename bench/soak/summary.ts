/** The soak's text report: one row per resource series, then the requests by kind and outcome, then the verdict. */
import { formatTable } from '../lib/table.js'
import type { SoakResult } from './soak.js'
import { OUTCOMES, type FailureExample } from './tally.js'

export function soakSummary(result: SoakResult): string {
  const durationS = result.options.durationMs / 1_000
  const series = formatTable(
    ['series', 'unit', 'start', 'end', 'floor at half', 'floor at end', 'floor slope /min', 'slope limit', 'rise', 'rise limit', 'verdict'],
    result.verdicts.map((v) => [
      v.spec.title,
      v.spec.unit,
      num(v.start),
      num(v.end),
      num(v.halfStart),
      num(v.halfEnd),
      Number.isNaN(v.slopePerMin) ? 'n/a' : signed(v.slopePerMin),
      String(v.spec.maxSlopePerMin),
      signed(v.halfEnd - v.halfStart),
      String(v.spec.maxRise),
      v.passed ? 'steady' : 'GROWS',
    ]),
  )
  const kinds = [...result.tally.byKind.entries()].sort(([a], [b]) => a.localeCompare(b))
  const totals = result.tally.totals()
  const requests = formatTable(
    ['kind', ...OUTCOMES, 'total'],
    [
      ...kinds.map(([kind, row]) => [kind, ...OUTCOMES.map((o) => String(row[o])), String(OUTCOMES.reduce((s, o) => s + row[o], 0))]),
      ['all', ...OUTCOMES.map((o) => String(totals[o])), String(result.tally.sent)],
    ],
  )
  const faults = Object.entries(result.faultCounts)
    .map(([b, n]) => `${b} ${n}`)
    .join(', ')
  const lines = [
    `== Baton soak: ${durationS} s, policy ${result.options.policy}, ${result.backendNames.length} backends, at most ${result.options.maxFailing} failing at once, seed ${result.options.seed}, Baton pid ${result.batonPid}`,
    `   ${result.samples.length} samples; forced full GC before each heap sample took ${result.gcMsMedian.toFixed(1)} ms (median)`,
    '',
    series,
    'A series grows when the floor (10 s running minimum) of its second half rises faster than the slope limit AND by more than the rise limit:',
    ...result.verdicts.map((v) => `  ${v.spec.title}: ${v.spec.why}`),
    '',
    `behaviours entered (fault schedule): ${faults}`,
    batonLine(result),
    `requests: ${result.tally.sent} in ${durationS} s (${(result.tally.sent / durationS).toFixed(0)} req/s)`,
    '',
    requests,
    '',
  ]
  const examples = (title: string, list: readonly FailureExample[]): void => {
    if (list.length === 0) return
    lines.push(title)
    for (const e of list) lines.push(`  ${(e.atMs / 1_000).toFixed(1)} s  ${e.kind}  ${e.outcome}  ${e.detail}`)
    lines.push('')
  }
  examples('first failed GETs:', result.tally.getExamples)
  examples('first failed POSTs (never retried after bytes reached a backend, so expected under faults):', result.tally.postExamples)
  for (const v of result.verdicts) if (!v.passed) lines.push(`FAIL ${v.spec.title}: ${v.reason}`)
  lines.push(`${result.tally.failedGets === 0 ? 'ok  ' : 'FAIL'} failed GETs: ${result.tally.failedGets} (limit 0; one backend or more stayed healthy throughout)`)
  lines.push(`soak ${result.passed ? 'PASS' : 'FAIL'}`)
  return lines.join('\n') + '\n'
}

function batonLine(result: SoakResult): string {
  const r = result.batonReport
  if (r === null) return 'Baton gave no report (it died before the end?)'
  const events = Object.entries(r.healthEvents)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ')
  return `Baton: retries granted ${r.retriesGranted}, refused by the retry budget ${r.retriesRefused}; health events: ${events === '' ? 'none' : events}`
}

function num(v: number): string {
  return Number.isNaN(v) ? 'n/a' : v.toFixed(Math.abs(v) >= 100 ? 0 : 2)
}

function signed(v: number): string {
  return `${v >= 0 ? '+' : ''}${v.toFixed(2)}`
}
