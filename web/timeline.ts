import type { DashboardEvent } from '../src/admin/dashboard-frame.js'
import { clockTime } from './format.js'

/** Entries shown: the newest of events and audit lines together. */
const MAX_ENTRIES = 300

/** An audit line of GET /api/audit (admin helper's audit log): who did what to what, and why. */
export interface AuditLine {
  time: string | number
  actor: string
  action: string
  target: unknown
  reason?: string | null
}

interface Entry {
  readonly timeMs: number
  /** 'event', 'anomaly' or 'audit': the entry's style. */
  readonly sort: string
  readonly label: string
  readonly target: string
  readonly text: string
}

/** Health events, anomalies and audit lines in one list, newest first, each entry once. */
export class Timeline {
  private readonly entries = new Map<string, Entry>()
  private dirty = false

  constructor(private readonly list: HTMLOListElement) {}

  addEvents(events: readonly DashboardEvent[]): void {
    for (const e of events) {
      const target = e.endpoint === '' ? e.upstream : `${e.upstream} / ${e.endpoint}`
      const sort = e.kind.startsWith('anomaly') || e.kind === 'drift' ? 'anomaly' : 'event'
      this.add(`e ${e.timeMs} ${e.kind} ${target}`, { timeMs: e.timeMs, sort, label: e.kind, target, text: describeEvent(e) })
    }
  }

  addAudit(lines: readonly AuditLine[]): void {
    for (const a of lines) {
      // Baton's own lines copy the health events, which the timeline shows already.
      if (a.actor === 'baton') continue
      const timeMs = typeof a.time === 'number' ? a.time : Date.parse(a.time)
      const target = typeof a.target === 'string' ? a.target : JSON.stringify(a.target)
      this.add(`a ${a.time} ${a.action} ${target}`, { timeMs, sort: 'audit', label: `audit: ${a.action}`, target, text: `by ${a.actor}${a.reason ? `: ${a.reason}` : ''}` })
    }
  }

  /** Redraws the list if entries came since the last call. */
  render(): void {
    if (!this.dirty) return
    this.dirty = false
    const newest = [...this.entries.values()].sort((a, b) => b.timeMs - a.timeMs).slice(0, MAX_ENTRIES)
    if (this.entries.size > MAX_ENTRIES * 2) {
      const keep = new Set(newest)
      for (const [key, entry] of this.entries) if (!keep.has(entry)) this.entries.delete(key)
    }
    this.list.replaceChildren(...newest.map(item))
  }

  private add(key: string, entry: Entry): void {
    if (this.entries.has(key)) return
    this.entries.set(key, entry)
    this.dirty = true
  }
}

function describeEvent(e: DashboardEvent): string {
  if (e.kind.startsWith('anomaly') && typeof e.data.signal === 'string') {
    const { signal, observed, expectedLow, expectedHigh } = e.data
    return `${signal}: ${String(observed)} outside ${String(expectedLow)}..${String(expectedHigh)}${e.cause ? ` (${e.cause})` : ''}`
  }
  return e.cause
}

function item(entry: Entry): HTMLLIElement {
  const li = document.createElement('li')
  li.className = `entry entry-${entry.sort}`
  const time = li.appendChild(document.createElement('time'))
  time.textContent = clockTime(entry.timeMs)
  const label = li.appendChild(document.createElement('span'))
  label.className = 'label'
  label.textContent = entry.label
  const target = li.appendChild(document.createElement('span'))
  target.className = 'target'
  target.textContent = entry.target
  li.append(entry.text)
  return li
}
