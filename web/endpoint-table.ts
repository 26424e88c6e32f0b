import type { DashboardEndpoint } from '../src/admin/dashboard-frame.js'
import type { EndpointAction, EndpointAfter } from './admin-actions.js'
import { colourOf } from './charts.js'
import { duration, ms, NONE, percent, rate } from './format.js'
import { manualText, removalText } from './signals-text.js'

/** Asks for an action on an endpoint; resolves with the endpoint's state after it, or null when refused. */
export type ActionRunner = (endpoint: string, action: EndpointAction) => Promise<EndpointAfter | null>

const COLUMNS = ['Endpoint', 'Health', 'Share', 'In flight', 'Req/s', 'Errors', 'p50', 'p99', 'Mean / predicted', 'Forecast', 'Ejection / drain', '']

interface Row {
  readonly cells: HTMLTableCellElement[]
  /** Beside the endpoint's id: what an operator set, empty when nothing (most rows, so no column of its own). */
  readonly manual: HTMLElement
  readonly drain: HTMLButtonElement
  readonly eject: HTMLButtonElement
  drained: boolean
  ejected: boolean
}

/** The endpoints of one upstream as a table updated in place: one row per endpoint, cells rewritten per frame. */
export class EndpointTable {
  readonly element: HTMLTableElement
  private readonly rows = new Map<string, Row>()

  constructor(endpoints: readonly DashboardEndpoint[], run: ActionRunner) {
    this.element = document.createElement('table')
    this.element.className = 'endpoints'
    const head = this.element.createTHead().insertRow()
    for (const name of COLUMNS) head.appendChild(document.createElement('th')).textContent = name
    const body = this.element.createTBody()
    endpoints.forEach((e, i) => this.rows.set(e.id, this.addRow(body, e.id, i, run)))
  }

  update(endpoints: readonly DashboardEndpoint[]): void {
    for (const e of endpoints) {
      const row = this.rows.get(e.id)
      if (row === undefined) continue
      const c = row.cells
      setText(c[1], e.slowStartFactor < 1 && e.state === 'available' ? `available, ramp ${percent(e.slowStartFactor)}` : e.state)
      c[1].className = `state state-${e.state}`
      setText(c[2], percent(e.share))
      setText(c[3], String(e.inflight))
      setText(c[4], rate(e.rate))
      setText(c[5], percent(e.errorRate))
      setText(c[6], ms(e.p50Ms))
      setText(c[7], ms(e.p99Ms))
      setText(c[8], `${ms(e.meanMs)} / ${ms(e.predictedMs)}`)
      setText(c[9], forecastText(e))
      setText(c[10], removalText(e.ejected, e.ejectionRemainingMs, e.drained, e.retryAfterHoldMs))
      setText(row.manual, manualText(e.manual))
      this.show(row, e.drained, e.ejected)
    }
  }

  private addRow(body: HTMLTableSectionElement, id: string, index: number, run: ActionRunner): Row {
    const tr = body.insertRow()
    tr.dataset.endpoint = id
    const cells = COLUMNS.map(() => tr.insertCell())
    const swatch = cells[0].appendChild(document.createElement('span'))
    swatch.className = 'swatch'
    swatch.style.background = colourOf(index)
    cells[0].append(id)
    const manual = cells[0].appendChild(document.createElement('small'))
    manual.className = 'manual'
    const drain = button(cells[11], 'drain')
    const eject = button(cells[11], 'eject')
    const row: Row = { cells, manual, drain, eject, drained: false, ejected: false }
    const act = async (target: HTMLButtonElement, action: EndpointAction): Promise<void> => {
      target.disabled = true
      const after = await run(id, action)
      target.disabled = false
      if (after !== null) {
        this.show(row, after.health.drained, after.health.ejected)
        setText(cells[1], after.health.state)
        cells[1].className = `state state-${after.health.state}`
        setText(cells[10], removalText(after.health.ejected, after.health.ejectionRemainingMs, after.health.drained, 0))
      }
    }
    drain.addEventListener('click', () => void act(drain, row.drained ? 'undrain' : 'drain'))
    eject.addEventListener('click', () => void act(eject, row.ejected ? 'uneject' : 'eject'))
    return row
  }

  private show(row: Row, drained: boolean, ejected: boolean): void {
    row.drained = drained
    row.ejected = ejected
    setText(row.drain, drained ? 'undrain' : 'drain')
    setText(row.eject, ejected ? 'uneject' : 'eject')
  }
}

function forecastText(e: DashboardEndpoint): string {
  const f = e.forecast
  if (f === null) return NONE
  const latency = f.metric === 'latency'
  const value = (v: number): string => (latency ? ms(v) : percent(v))
  const when = f.crossingInMs === null ? 'flat' : f.crossingInMs === 0 ? 'reached' : `in ${duration(f.crossingInMs)}`
  return `${latency ? 'p99' : 'errors'} ${value(f.current)} → ${value(f.limit)}: ${when}`
}

function button(parent: HTMLElement, label: string): HTMLButtonElement {
  const b = parent.appendChild(document.createElement('button'))
  b.type = 'button'
  b.className = `action action-${label}`
  b.textContent = label
  return b
}

/** Writes only when the text changed: most cells do not change between frames, and a write costs a layout. */
export function setText(element: HTMLElement, text: string): void {
  if (element.textContent !== text) element.textContent = text
}
