/**
 * The overload bench's curves as one hand-written SVG (as bench/soak/svg-plot.ts): per second, goodput with the
 * offered load and the capacity, the p99 of accepted requests, the share of the main load shed, and (protection
 * on) the concurrency limit and queue; protection off in red, on in blue, nginx (when installed) in purple, the 300 % step shaded.
 */
import type { ModeSummary, Profile } from './summary.js'

const WIDTH = 960
const PANEL_HEIGHT = 170
const MARGIN = { left: 72, right: 24, top: 40, bottom: 24 }
const HEADER_HEIGHT = 50
const FONT = 'font-family="DejaVu Sans, Helvetica, Arial, sans-serif"'
const COLOURS: Readonly<Record<string, string>> = { off: '#d73027', on: '#4575b4', nginx: '#762a83', offered: '#999999', capacity: '#1a9850', queue: '#fdae61' }

interface Series {
  readonly label: string
  readonly colour: string
  readonly points: readonly (readonly [number, number])[]
  readonly dashed?: boolean
}

export function renderOverloadSvg(modes: readonly ModeSummary[], profile: Profile, durationS: number, title: string): string {
  const at = (values: readonly number[]) => values.map((v, s) => [s + 0.5, v] as const)
  const on = modes.find((m) => m.mode === 'on')
  const panels: [string, Series[]][] = [
    [
      'goodput: 200 responses per second',
      [
        { label: 'offered (tries, storm included), protection on', colour: COLOURS.offered, points: at(on?.perSecond.offered ?? []), dashed: true },
        { label: `capacity ${profile.capacityRps} rps`, colour: COLOURS.capacity, points: [[0, profile.capacityRps], [durationS, profile.capacityRps]], dashed: true },
        ...modes.map((m) => ({ label: m.label, colour: COLOURS[m.mode], points: at(m.perSecond.goodput) })),
      ],
    ],
    [
      'p99 of accepted requests, ms (from when each was due; clipped at 2000; no point for a second without one)',
      modes.map((m) => ({ label: m.label, colour: COLOURS[m.mode], points: at(m.perSecond.p99Ms.map((v) => Math.min(v, 2000))).filter((p) => p[1] > 0) })),
    ],
    ['main load answered 503 (shed), %', modes.map((m) => ({ label: m.label, colour: COLOURS[m.mode], points: at(m.perSecond.shedPercent) }))],
  ]
  if (on !== undefined) {
    panels.push([
      'protection on: concurrency limit and queue length (sampled each second)',
      [
        { label: 'limit', colour: COLOURS.on, points: on.samples.map((s) => [s.tS, s.limit ?? 0] as const) },
        { label: 'in flight', colour: COLOURS.capacity, points: on.samples.map((s) => [s.tS, s.inflight] as const) },
        { label: 'queued', colour: COLOURS.queue, points: on.samples.map((s) => [s.tS, s.queued] as const) },
      ],
    ])
  }
  const height = HEADER_HEIGHT + panels.length * PANEL_HEIGHT
  const body = panels.map(([name, series], i) => panel(HEADER_HEIGHT + i * PANEL_HEIGHT, name, series, profile, durationS))
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" ${FONT} font-size="11">`,
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    `<text x="${MARGIN.left}" y="20" font-size="14" font-weight="bold">${escape(title)}</text>`,
    `<text x="${MARGIN.left}" y="38" fill="#555">Shaded: the step to 300 % of capacity. Red: protection off (Baton without admission control); blue: the shipped defaults${modes.some((m) => m.mode === 'nginx') ? '; purple: nginx with a static limit at the capacity' : ''}.</text>`,
    ...body,
    '</svg>',
    '',
  ].join('\n')
}

function panel(top: number, name: string, series: readonly Series[], profile: Profile, durationS: number): string {
  const w = WIDTH - MARGIN.left - MARGIN.right
  const h = PANEL_HEIGHT - MARGIN.top - MARGIN.bottom
  const y0 = top + MARGIN.top
  const maxY = niceMax(Math.max(1, ...series.flatMap((s) => s.points.map((p) => p[1]))))
  const x = (t: number) => MARGIN.left + (w * t) / durationS
  const y = (v: number) => y0 + h - (h * v) / maxY
  const parts = [
    `<rect x="${x(profile.stepUpS)}" y="${y0}" width="${x(profile.stepDownS) - x(profile.stepUpS)}" height="${h}" fill="#f0f0f0"/>`,
    `<text x="${MARGIN.left}" y="${top + 16}" font-weight="bold">${escape(name)}</text>`,
    `<line x1="${MARGIN.left}" y1="${y0 + h}" x2="${MARGIN.left + w}" y2="${y0 + h}" stroke="#333"/>`,
    `<line x1="${MARGIN.left}" y1="${y0}" x2="${MARGIN.left}" y2="${y0 + h}" stroke="#333"/>`,
    `<text x="${MARGIN.left - 6}" y="${y0 + 4}" text-anchor="end">${maxY}</text>`,
    `<text x="${MARGIN.left - 6}" y="${y0 + h}" text-anchor="end">0</text>`,
  ]
  for (let t = 0; t <= durationS; t += 10) parts.push(`<text x="${x(t)}" y="${y0 + h + 14}" text-anchor="middle">${t} s</text>`)
  let legendX = MARGIN.left
  for (const s of series) {
    if (s.points.length > 0) {
      const d = s.points.map((p) => `${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`).join(' ')
      parts.push(`<polyline fill="none" stroke="${s.colour}" stroke-width="1.6"${s.dashed === true ? ' stroke-dasharray="4 3"' : ''} points="${d}"/>`)
    }
    parts.push(`<rect x="${legendX}" y="${top + 22}" width="10" height="10" fill="${s.colour}"/><text x="${legendX + 14}" y="${top + 31}">${escape(s.label)}</text>`)
    legendX += 14 + 7 * s.label.length
  }
  return parts.join('\n')
}

/** 1, 2 or 5 × a power of ten at or above `v`. */
function niceMax(v: number): number {
  const p = 10 ** Math.floor(Math.log10(v))
  for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p
  return 10 * p
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}
