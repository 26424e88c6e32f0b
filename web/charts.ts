import type UPlot from 'uplot'

/** Points kept per series: one a frame, about five minutes at one frame a second. */
const WINDOW_POINTS = 300
const HEIGHT_PX = 180

/** A distinct colour per endpoint index (golden-angle hues), the same in every chart and the table. */
export function colourOf(index: number): string {
  return `hsl(${Math.round((index * 137.508) % 360)} 65% 42%)`
}

export interface SeriesSpec {
  readonly label: string
  readonly colour: string
  readonly dash: boolean
}

/**
 * One live uPlot chart (its parent must be in the document: the width is the parent's): time on x (seconds), one line per series, the last WINDOW_POINTS frames. Each push
 * appends a point to every series and redraws once (setData).
 */
export class LiveChart {
  private readonly plot: UPlot
  private readonly data: number[][]

  constructor(parent: HTMLElement, title: string, unit: string, series: readonly SeriesSpec[]) {
    this.data = [[], ...series.map(() => [])]
    const opts: UPlot.Options = {
      title,
      width: chartWidth(parent),
      height: HEIGHT_PX,
      // The endpoint table's colour swatches are the legend: uPlot's would take a row per series.
      legend: { show: false },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] } },
      axes: [{}, { label: unit, size: 60 }],
      series: [{}, ...series.map((s) => ({ label: s.label, stroke: s.colour, width: 1.5, dash: s.dash ? [4, 3] : [], points: { show: false } }))],
    }
    this.plot = new uPlot(opts, this.data as UPlot.AlignedData, parent)
  }

  /** Points received so far (at most WINDOW_POINTS). */
  get points(): number {
    return this.data[0].length
  }

  push(timeSec: number, values: readonly number[]): void {
    this.data[0].push(timeSec)
    for (let s = 0; s < values.length; s++) this.data[s + 1].push(values[s])
    if (this.data[0].length > WINDOW_POINTS) for (const column of this.data) column.shift()
    this.plot.setData(this.data as UPlot.AlignedData)
  }

  resize(parent: HTMLElement): void {
    this.plot.setSize({ width: chartWidth(parent), height: HEIGHT_PX })
  }

  destroy(): void {
    this.plot.destroy()
  }
}

function chartWidth(parent: HTMLElement): number {
  return Math.max(280, parent.clientWidth - 8)
}
