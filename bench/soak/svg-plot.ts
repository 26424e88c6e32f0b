/**
 * The soak's curves as one hand-written SVG (no plotting dependency): one panel per resource series with
 * time on x, the second half shaded and its least-squares line drawn, then requests per second, then the
 * fault timeline of every backend with Baton's ejections on it.
 */
import type { Behaviour } from './fault-backend.js'
import type { SeriesVerdict } from './growth-verdict.js'
import type { SoakResult } from './soak.js'

const WIDTH = 960
const PANEL_HEIGHT = 150
const MARGIN = { left: 72, right: 24, top: 30, bottom: 26 }
const HEADER_HEIGHT = 60
const LANE_HEIGHT = 18
const FONT = 'font-family="DejaVu Sans, Helvetica, Arial, sans-serif"'

const BEHAVIOUR_COLOURS: Readonly<Record<Behaviour, string>> = {
  ok: '#d9f0d3',
  slow: '#fee08b',
  error500: '#fc8d59',
  reset: '#9e6ebd',
  hang: '#8c510a',
  refuse: '#d73027',
}

interface Frame {
  readonly top: number
  readonly durationS: number
}

export function renderSoakSvg(result: SoakResult): string {
  const durationS = result.options.durationMs / 1_000
  const parts: string[] = []
  let top = HEADER_HEIGHT
  for (const verdict of result.verdicts) {
    const points = result.samples.map((s) => [s.t, verdict.spec.value(s.sample)] as const)
    parts.push(linePanel({ top, durationS }, `${verdict.spec.title} (${verdict.spec.unit})`, points, verdictLine(verdict), verdict))
    top += PANEL_HEIGHT
  }
  const rps = result.tally.perSecond.slice(0, Math.ceil(durationS)).map((n, s) => [s + 0.5, n] as const)
  parts.push(linePanel({ top, durationS }, 'requests finished per second', rps, `${result.tally.sent} requests, ${result.tally.failedGets} failed GETs`, null))
  top += PANEL_HEIGHT
  const lanesHeight = MARGIN.top + result.backendNames.length * LANE_HEIGHT + MARGIN.bottom + 18
  parts.push(faultPanel({ top, durationS }, result))
  top += lanesHeight
  const status = result.passed ? 'PASS' : 'FAIL'
  const title =
    `Baton soak ${result.startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC: ${durationS} s, policy ${result.options.policy}, ` +
    `${result.backendNames.length} backends (at most ${result.options.maxFailing} failing), seed ${result.options.seed}: ${status}`
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${top}" viewBox="0 0 ${WIDTH} ${top}" ${FONT} font-size="11">`,
    `<rect width="${WIDTH}" height="${top}" fill="#ffffff"/>`,
    `<text x="${MARGIN.left}" y="20" font-size="14" font-weight="bold">${escape(title)}</text>`,
    `<text x="${MARGIN.left}" y="36" fill="#555">Baton alone in its process, sampled every second (blue). Shaded: the second half, where growth is judged on the floor</text>`,
    `<text x="${MARGIN.left}" y="50" fill="#555">(green: 10 s running minimum; faults push every series up for a while, a leak raises the floor); red dashes: the floor's least-squares line.</text>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n')
}

function verdictLine(v: SeriesVerdict): string {
  const slope = Number.isNaN(v.slopePerMin) ? 'n/a' : `${signed(v.slopePerMin)} ${v.spec.unit}/min`
  const rise = `${signed(v.halfEnd - v.halfStart)} ${v.spec.unit}`
  return `floor over the second half: slope ${slope} (limit ${v.spec.maxSlopePerMin}), rise ${rise} (limit ${v.spec.maxRise}): ${v.passed ? 'steady' : 'GROWS'}`
}

function linePanel(frame: Frame, title: string, points: readonly (readonly [number, number])[], note: string, verdict: SeriesVerdict | null): string {
  const plotTop = frame.top + MARGIN.top
  const plotHeight = PANEL_HEIGHT - MARGIN.top - MARGIN.bottom
  const ys = points.map((p) => p[1])
  const [yMin, yMax, yStep] = niceRange(ys.length === 0 ? 0 : Math.min(...ys), ys.length === 0 ? 1 : Math.max(...ys))
  const x = xScale(frame.durationS)
  const y = (v: number): number => plotTop + plotHeight - ((v - yMin) / (yMax - yMin)) * plotHeight
  const out: string[] = [`<g>`]
  out.push(`<text x="${MARGIN.left}" y="${frame.top + 18}" font-size="12" font-weight="bold">${escape(title)}</text>`)
  const noteColour = verdict === null ? '#555' : verdict.passed ? '#1a7f37' : '#cf222e'
  out.push(`<text x="${WIDTH - MARGIN.right}" y="${frame.top + 18}" text-anchor="end" fill="${noteColour}">${escape(note)}</text>`)
  out.push(`<rect x="${x(frame.durationS / 2)}" y="${plotTop}" width="${x(frame.durationS) - x(frame.durationS / 2)}" height="${plotHeight}" fill="#f0f0f0"/>`)
  for (let v = yMin; v <= yMax + yStep / 2; v += yStep) {
    out.push(`<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${fmt(y(v))}" y2="${fmt(y(v))}" stroke="#dddddd"/>`)
    out.push(`<text x="${MARGIN.left - 6}" y="${fmt(y(v) + 4)}" text-anchor="end">${escape(tickLabel(v, yStep))}</text>`)
  }
  out.push(timeAxis(frame, plotTop + plotHeight))
  out.push(`<rect x="${MARGIN.left}" y="${plotTop}" width="${WIDTH - MARGIN.left - MARGIN.right}" height="${plotHeight}" fill="none" stroke="#999"/>`)
  if (points.length > 0) {
    const path = points.map((p) => `${fmt(x(p[0]))},${fmt(y(p[1]))}`).join(' ')
    out.push(`<polyline points="${path}" fill="none" stroke="#1f77b4" stroke-width="1.5"/>`)
  }
  if (verdict !== null && verdict.floor.length > 0) {
    const floor = verdict.floor.map((p) => `${fmt(x(p[0]))},${fmt(y(p[1]))}`).join(' ')
    out.push(`<polyline points="${floor}" fill="none" stroke="#2ca02c" stroke-width="1.2"/>`)
  }
  if (verdict !== null && verdict.fitLine !== null) {
    const [[t0, v0], [t1, v1]] = verdict.fitLine
    out.push(`<line x1="${fmt(x(t0))}" y1="${fmt(y(v0))}" x2="${fmt(x(t1))}" y2="${fmt(y(v1))}" stroke="#d62728" stroke-width="1.5" stroke-dasharray="6 4"/>`)
  }
  out.push('</g>')
  return out.join('\n')
}

function faultPanel(frame: Frame, result: SoakResult): string {
  const x = xScale(frame.durationS)
  const lanesTop = frame.top + MARGIN.top
  const out: string[] = ['<g>', `<text x="${MARGIN.left}" y="${frame.top + 18}" font-size="12" font-weight="bold">backend behaviour (fault schedule)</text>`]
  result.backendNames.forEach((name, i) => {
    const laneY = lanesTop + i * LANE_HEIGHT
    out.push(`<text x="${MARGIN.left - 6}" y="${laneY + LANE_HEIGHT / 2 + 4}" text-anchor="end">${escape(name)}</text>`)
    const mine = result.transitions.filter((t) => t.backend === i)
    mine.forEach((t, k) => {
      const from = Math.min(t.atMs / 1_000, frame.durationS)
      const to = Math.min(k + 1 < mine.length ? mine[k + 1].atMs / 1_000 : frame.durationS, frame.durationS)
      if (to <= from) return
      out.push(
        `<rect x="${fmt(x(from))}" y="${laneY + 1}" width="${fmt(Math.max(0.5, x(to) - x(from)))}" height="${LANE_HEIGHT - 2}" fill="${BEHAVIOUR_COLOURS[t.behaviour]}"><title>${escape(`${name} ${t.behaviour} from ${from.toFixed(1)} s`)}</title></rect>`,
      )
    })
  })
  for (const e of result.ejections) {
    if (e.backend < 0 || e.t < 0 || e.t > frame.durationS) continue
    const cx = x(e.t)
    const laneY = lanesTop + e.backend * LANE_HEIGHT
    const fill = e.kind === 'ejected' ? '#000000' : '#ffffff'
    out.push(`<path d="M${fmt(cx - 4)},${laneY + 1} L${fmt(cx + 4)},${laneY + 1} L${fmt(cx)},${laneY + 8} Z" fill="${fill}" stroke="#000"><title>${escape(`${e.kind} at ${e.t.toFixed(1)} s`)}</title></path>`)
  }
  const lanesBottom = lanesTop + result.backendNames.length * LANE_HEIGHT
  out.push(timeAxis(frame, lanesBottom))
  let legendX = MARGIN.left
  const legendY = lanesBottom + MARGIN.bottom + 8
  for (const [behaviour, colour] of Object.entries(BEHAVIOUR_COLOURS)) {
    out.push(`<rect x="${legendX}" y="${legendY - 9}" width="12" height="12" fill="${colour}" stroke="#999"/>`)
    out.push(`<text x="${legendX + 16}" y="${legendY + 1}">${escape(`${behaviour} ×${result.faultCounts[behaviour as Behaviour]}`)}</text>`)
    legendX += 110
  }
  out.push(`<text x="${legendX + 10}" y="${legendY + 1}" fill="#333">▼ ejected by Baton  ▽ returned</text>`)
  out.push('</g>')
  return out.join('\n')
}

/** Ticks along the time axis below `axisY`, in seconds or minutes. */
function timeAxis(frame: Frame, axisY: number): string {
  const x = xScale(frame.durationS)
  const step = TIME_STEPS_S.find((s) => s >= frame.durationS / 12) ?? frame.durationS
  const inMinutes = step >= 60
  const out: string[] = []
  for (let t = 0; t <= frame.durationS + 1e-9; t += step) {
    out.push(`<line x1="${fmt(x(t))}" x2="${fmt(x(t))}" y1="${axisY}" y2="${axisY + 4}" stroke="#999"/>`)
    const label = inMinutes ? `${t / 60} min` : `${t} s`
    out.push(`<text x="${fmt(x(t))}" y="${axisY + 15}" text-anchor="middle" fill="#555">${label}</text>`)
  }
  return out.join('\n')
}

/** Time-axis steps, s: whole seconds below a minute, whole minutes above. */
const TIME_STEPS_S = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1_800, 3_600]

function xScale(durationS: number): (t: number) => number {
  const width = WIDTH - MARGIN.left - MARGIN.right
  return (t) => MARGIN.left + (t / durationS) * width
}

/** An axis range covering [lo, hi] in steps of 1, 2 or 5 × 10^k, about `ticks` of them. */
function niceRange(lo: number, hi: number, ticks = 4): [number, number, number] {
  const span = hi - lo || Math.abs(hi) || 1
  const raw = span / ticks
  const magnitude = 10 ** Math.floor(Math.log10(raw))
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw)!
  const min = Math.floor(lo / step) * step
  let max = Math.ceil(hi / step) * step
  if (max === min) max = min + step
  return [min, max, step]
}

function tickLabel(v: number, step: number): string {
  const decimals = Math.max(0, -Math.floor(Math.log10(step)))
  return v.toFixed(decimals)
}

function signed(v: number): string {
  return `${v >= 0 ? '+' : ''}${v.toFixed(2)}`
}

function fmt(v: number): string {
  return v.toFixed(1)
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
}
