import type { DashboardUpstream } from '../src/admin/dashboard-frame.js'
import { colourOf, LiveChart } from './charts.js'
import { EndpointTable, setText, type ActionRunner } from './endpoint-table.js'
import { scalingText, stormText } from './signals-text.js'

/**
 * One upstream: a heading (name, policy, endpoint count, panic; then the scaling recommendation and the storm
 * state), a chart of request rate and one of p50/p99 per endpoint, and the endpoint table.
 * Built for a fixed list of endpoints: when the list changes (a reload, discovery) the page builds a new panel.
 */
export class UpstreamPanel {
  readonly element: HTMLElement
  /** The endpoint ids in order, to tell when the list changed. */
  readonly key: string
  private readonly heading: HTMLElement
  private readonly title: HTMLElement
  private readonly scaling: HTMLElement
  private readonly storm: HTMLElement
  private readonly rateChart: LiveChart
  private readonly latencyChart: LiveChart
  private readonly table: EndpointTable
  private readonly charts: HTMLElement[]

  /** Appends itself to `parent` first: the charts take their width from the page. */
  constructor(parent: HTMLElement, upstream: DashboardUpstream, run: (upstream: string) => ActionRunner) {
    this.key = keyOf(upstream)
    this.element = parent.appendChild(document.createElement('section'))
    this.element.className = 'upstream'
    this.element.dataset.upstream = upstream.name
    this.heading = this.element.appendChild(document.createElement('h2'))
    this.title = this.heading.appendChild(document.createElement('span'))
    this.scaling = this.heading.appendChild(document.createElement('small'))
    this.scaling.className = 'scaling'
    this.storm = this.heading.appendChild(document.createElement('span'))
    this.storm.className = 'storm'
    const row = this.element.appendChild(document.createElement('div'))
    row.className = 'charts'
    this.charts = [chartBox(row, 'rate'), chartBox(row, 'latency')]
    const ids = upstream.endpoints.map((e) => e.id)
    this.rateChart = new LiveChart(this.charts[0], 'requests / s', 'req/s', ids.map((id, i) => ({ label: id, colour: colourOf(i), dash: false })))
    this.latencyChart = new LiveChart(
      this.charts[1],
      'p50 (dashed) and p99, ms',
      'ms',
      ids.flatMap((id, i) => [
        { label: `${id} p50`, colour: colourOf(i), dash: true },
        { label: `${id} p99`, colour: colourOf(i), dash: false },
      ]),
    )
    this.table = new EndpointTable(upstream.endpoints, run(upstream.name))
    const box = this.element.appendChild(document.createElement('div'))
    box.className = 'table-box'
    box.appendChild(this.table.element)
  }

  update(upstream: DashboardUpstream, timeSec: number): void {
    const panic = upstream.panic ? ' · PANIC: routing to every endpoint' : ''
    setText(this.title, `${upstream.name} · ${upstream.policy} · ${upstream.endpoints.length} endpoints${panic}`)
    setText(this.scaling, scalingText(upstream.scaling))
    setText(this.storm, stormText(upstream.storm))
    this.heading.classList.toggle('panic', upstream.panic)
    this.rateChart.push(timeSec, upstream.endpoints.map((e) => e.rate))
    this.latencyChart.push(timeSec, upstream.endpoints.flatMap((e) => [e.p50Ms, e.p99Ms]))
    this.table.update(upstream.endpoints)
    this.element.dataset.points = String(this.rateChart.points)
  }

  resize(): void {
    this.rateChart.resize(this.charts[0])
    this.latencyChart.resize(this.charts[1])
  }

  destroy(): void {
    this.rateChart.destroy()
    this.latencyChart.destroy()
    this.element.remove()
  }
}

export function keyOf(upstream: DashboardUpstream): string {
  return upstream.endpoints.map((e) => e.id).join('\n')
}

function chartBox(parent: HTMLElement, name: string): HTMLElement {
  const box = parent.appendChild(document.createElement('div'))
  box.className = `chart chart-${name}`
  return box
}
