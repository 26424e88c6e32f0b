import type { DashboardEvent, DashboardFrame } from '../src/admin/dashboard-frame.js'
import { runAction } from './admin-actions.js'
import type { ActionRunner } from './endpoint-table.js'
import { ApiError, authHeaders, checkAnswer, readFrames } from './frame-reader.js'
import { keyOf, UpstreamPanel } from './upstream-panel.js'
import { Timeline, type AuditLine } from './timeline.js'

/** The token lives in session storage: entered once per tab, gone when the tab closes, never in a URL. */
const TOKEN_KEY = 'baton.adminToken'
/** How far back the timeline starts, ms, and how often audit lines are fetched again, ms. */
const HISTORY_MS = 10 * 60_000
const AUDIT_POLL_MS = 5_000
/** Wait before reconnecting after the stream ended or failed, ms. */
const RECONNECT_MS = 3_000

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T
const login = $<HTMLFormElement>('login')
const tokenInput = $<HTMLInputElement>('token')
const errorBox = $('error')
const status = $('status')
const panelsBox = $('upstreams')
const stats = $('render-stats')
const timeline = new Timeline($<HTMLOListElement>('timeline'))

const panels = new Map<string, UpstreamPanel>()
let token = sessionStorage.getItem(TOKEN_KEY) ?? ''
let session: AbortController | null = null
let frames = 0
let maxRenderMs = 0

function showError(text: string): void {
  errorBox.textContent = text
  errorBox.hidden = text === ''
}

function setStatus(text: string, state: string): void {
  status.textContent = text
  status.dataset.state = state
}

/** Opens the stream with the current token and keeps it open, reconnecting, until the token is refused. */
async function connect(): Promise<void> {
  session?.abort()
  const controller = new AbortController()
  session = controller
  setStatus('connecting…', 'connecting')
  let first = true
  try {
    await readFrames(token, controller.signal, (frame) => {
      if (first) onConnected(controller.signal)
      first = false
      render(frame)
    })
    if (controller.signal.aborted) return
    setStatus('stream ended; reconnecting…', 'disconnected')
  } catch (err) {
    if (controller.signal.aborted) return
    if (err instanceof ApiError && (err.status === 401 || err.status === 403)) return refused(err)
    setStatus(`disconnected (${err instanceof Error ? err.message : String(err)}); reconnecting…`, 'disconnected')
  }
  setTimeout(() => {
    if (session === controller) void connect()
  }, RECONNECT_MS)
}

function refused(err: ApiError): void {
  const entered = token !== ''
  sessionStorage.removeItem(TOKEN_KEY)
  token = ''
  login.hidden = false
  setStatus('not connected', 'disconnected')
  // Without a token entered yet, being asked for one is no error.
  showError(entered ? `The token was refused: ${err.message} (${err.code})` : '')
  tokenInput.focus()
}

function onConnected(signal: AbortSignal): void {
  login.hidden = true
  showError('')
  void loadHistory(signal)
  void pollAudit(signal)
}

function render(frame: DashboardFrame): void {
  const started = performance.now()
  frames++
  setStatus(`live · ${new Date(frame.timeMs).toLocaleTimeString(undefined, { hour12: false })}`, 'live')
  const seen = new Set<string>()
  for (const upstream of frame.upstreams) {
    seen.add(upstream.name)
    let panel = panels.get(upstream.name)
    if (panel === undefined || panel.key !== keyOf(upstream)) {
      // New, or its endpoints changed (a reload, discovery): a new panel, in the old one's place.
      const old = panel
      panel = new UpstreamPanel(panelsBox, upstream, actionsFor)
      old?.element.replaceWith(panel.element)
      old?.destroy()
      panels.set(upstream.name, panel)
    }
    panel.update(upstream, frame.timeMs / 1000)
  }
  for (const [name, panel] of panels) {
    if (!seen.has(name)) {
      panel.destroy()
      panels.delete(name)
    }
  }
  timeline.addEvents(frame.events)
  timeline.render()
  // uPlot draws in a microtask queued by setData; this one runs after it, so the figure includes the drawing.
  queueMicrotask(() => showRenderTime(performance.now() - started))
}

/** Shown to people and read by the browser test: the page's own cost per frame, ms. */
function showRenderTime(renderMs: number): void {
  maxRenderMs = Math.max(maxRenderMs, renderMs)
  document.body.dataset.frames = String(frames)
  document.body.dataset.renderMs = renderMs.toFixed(2)
  document.body.dataset.maxRenderMs = maxRenderMs.toFixed(2)
  stats.textContent = `${frames} frames · render ${renderMs.toFixed(1)} ms (max ${maxRenderMs.toFixed(1)} ms)`
}

function actionsFor(upstream: string): ActionRunner {
  return async (endpoint, action) => {
    try {
      const after = await runAction(token, upstream, endpoint, action)
      showError('')
      void fetchAudit()
      return after
    } catch (err) {
      showError(err instanceof ApiError ? `${action} ${endpoint} refused: ${err.message} (${err.code})` : `${action} ${endpoint} failed: ${String(err)}`)
      return null
    }
  }
}

/** The events of the last minutes, once per connection: the stream carries only what comes after. */
async function loadHistory(signal: AbortSignal): Promise<void> {
  try {
    const res = await fetch(`/api/events?since=${Date.now() - HISTORY_MS}`, { headers: authHeaders(token), cache: 'no-store', signal })
    await checkAnswer(res)
    timeline.addEvents(((await res.json()) as { events: DashboardEvent[] }).events)
    timeline.render()
  } catch {
    // The stream goes on; the timeline starts empty.
  }
}

async function pollAudit(signal: AbortSignal): Promise<void> {
  while (!signal.aborted) {
    await fetchAudit()
    await new Promise((resolve) => setTimeout(resolve, AUDIT_POLL_MS))
  }
}

/** Audit lines of the last ten minutes (GET /api/audit: `{records, truncated}`); a note in the timeline heading when it fails. */
async function fetchAudit(): Promise<void> {
  const note = $('audit-note')
  try {
    const res = await fetch('/api/audit?since=10m', { headers: authHeaders(token), cache: 'no-store' })
    await checkAnswer(res)
    const body = (await res.json()) as { records: AuditLine[] }
    timeline.addAudit(body.records)
    timeline.render()
    note.textContent = ''
  } catch (err) {
    note.textContent = err instanceof ApiError && err.status === 404 ? '(no audit log on this server)' : '(audit log unavailable)'
  }
}

login.addEventListener('submit', (event) => {
  event.preventDefault()
  token = tokenInput.value.trim()
  tokenInput.value = ''
  if (token !== '') sessionStorage.setItem(TOKEN_KEY, token)
  void connect()
})

let resizeTimer: ReturnType<typeof setTimeout> | null = null
window.addEventListener('resize', () => {
  if (resizeTimer !== null) clearTimeout(resizeTimer)
  resizeTimer = setTimeout(() => panels.forEach((p) => p.resize()), 150)
})

void connect()
