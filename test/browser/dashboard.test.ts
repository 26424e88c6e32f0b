import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium, type Page } from 'playwright-core'
import t from 'tap'
import { request } from 'undici'
import { ADMIN_SECRET, VIEWER_SECRET, loadBoth, readStream, startDashboardRig } from '../helpers/dashboard-rig.js'
import type { DashboardFrame } from '../../src/admin/dashboard-frame.js'
import type { UpstreamJson } from '../../src/admin/upstreams-api.js'

/** Debian's Chromium (.ci/run installs the package when it is missing). */
const CHROMIUM = '/usr/bin/chromium'
/**
 * Headless, and quiet on a closed network: without these Chromium tries to reach Google (updates, sync,
 * QUIC probes, first-run pages); no sandbox because CI runs as root in a container.
 */
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']
/** Bound of the load loops, ms: longer than the test needs, so load runs throughout. */
const LOAD_MS = 25_000
/** Frames whose render time the 50-endpoint check reads. */
const SAMPLED_FRAMES = 5
/**
 * Where the screenshot goes: the temporary folder, so a test run leaves the checkout unchanged; with
 * BATON_UPDATE_SCREENSHOT=1, docs/dashboard.png, the one the README shows (this file runs from dist/test/browser/).
 */
const SCREENSHOT =
  process.env.BATON_UPDATE_SCREENSHOT === '1'
    ? fileURLToPath(new URL('../../../docs/dashboard.png', import.meta.url))
    : join(tmpdir(), `baton-dashboard-${process.pid}.png`)

/** What the in-page checks below use of the page's globals: this file is compiled without the DOM types. */
interface PageDom {
  document: {
    body: { dataset: Record<string, string | undefined> }
    querySelector(selector: string): { dataset: Record<string, string | undefined> } | null
    querySelectorAll(selector: string): ArrayLike<{ textContent: string | null }>
  }
}

/**
 * Runs in the page (Playwright sends its source; a string would be eval and the page's CSP refuses eval): the
 * web upstream's charts hold 5 points or more and its table shows a request rate above 0 on its 3 endpoints.
 */
function webIsLive(): boolean {
  const { document } = globalThis as unknown as PageDom
  const section = document.querySelector('section[data-upstream="web"]')
  const rates = Array.from(document.querySelectorAll('section[data-upstream="web"] table.endpoints tbody td:nth-child(5)'), (td) => Number(td.textContent))
  return section !== null && Number(section.dataset.points ?? 0) >= 5 && rates.length === 3 && rates.every((r) => r > 0)
}

/** Runs in the page: how many keys session storage holds. */
function storedKeys(): number {
  return (globalThis as unknown as { sessionStorage: { length: number } }).sessionStorage.length
}

/** Runs in the page: more than `seen` frames were rendered. */
function framesAbove(seen: number): boolean {
  return Number((globalThis as unknown as PageDom).document.body.dataset.frames) > seen
}

const auth = { authorization: `Bearer ${ADMIN_SECRET}` }
const idOf = (url: string): string => url.slice('http://'.length)

t.test('the dashboard in headless Chromium', { skip: existsSync(CHROMIUM) ? false : `${CHROMIUM} is not installed` }, async (t) => {
  const rig = await startDashboardRig(t, 50)
  const profile = mkdtempSync(join(tmpdir(), 'baton-chromium-'))
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true, viewport: { width: 1440, height: 1000 } })
  t.teardown(async () => {
    await context.close()
    rmSync(profile, { recursive: true, force: true })
  })
  const page = context.pages()[0] ?? (await context.newPage())
  // Script errors and CSP refusals; a refused fetch (401 before the token, 404 of an API not there) is expected.
  const problems: string[] = []
  page.on('pageerror', (err) => problems.push(String(err)))
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource')) problems.push(msg.text())
  })

  await t.test('the page loads and asks for a token', async (t) => {
    const res = await page.goto(`${rig.admin}/`)
    t.equal(res?.status(), 200)
    t.match(res?.headers()['content-security-policy'], /script-src 'self'/)
    t.equal(await page.title(), 'Baton dashboard')
    await page.locator('#login').waitFor({ state: 'visible' })
    t.notOk(await page.locator('#error').isVisible(), 'no error before a token was entered')
  })

  await t.test('a wrong token shows an error and is not kept', async (t) => {
    await page.fill('#token', 'not-the-token-0123456789')
    await page.click('#login button[type=submit]')
    await page.locator('#error').waitFor({ state: 'visible' })
    t.match(await page.locator('#error').textContent(), /token was refused.*BATON_ADMIN_UNAUTHORIZED/)
    t.equal(await page.evaluate(storedKeys), 0, 'session storage holds no refused token')
    t.ok(await page.locator('#login').isVisible(), 'the form is still there')
  })

  let done = false
  const deadline = Date.now() + LOAD_MS
  const loading = loadBoth(rig, 3, () => done || Date.now() > deadline)
  t.teardown(async () => {
    done = true
    await loading
  })

  await t.test('the right token shows every upstream, and the charts receive live data while load runs', async (t) => {
    await page.fill('#token', ADMIN_SECRET)
    await page.click('#login button[type=submit]')
    const web = page.locator('section[data-upstream="web"]')
    await web.waitFor()
    t.notOk(await page.locator('#error').isVisible(), 'the error is gone')
    t.equal(await page.evaluate(storedKeys), 1, 'the token is kept for this tab')
    // Live: several points in the charts, and a non-zero request rate on every web endpoint.
    await page.waitForFunction(webIsLive, undefined, { timeout: 15_000 })
    t.equal(await web.locator('canvas').count(), 2, 'two uPlot charts')
    const rows = await web.locator('table.endpoints tbody tr').all()
    t.same(await Promise.all(rows.map((r) => r.getAttribute('data-endpoint'))), rig.web.map((b) => idOf(b.url)), 'a row per endpoint, in order')
    t.match(await web.locator('table.endpoints tbody tr').first().locator('td').nth(1).textContent(), /available/)
    // The live scaling signal, whichever state it is in after a few seconds (the exact texts: the test below).
    t.match(await web.locator('h2 .scaling').textContent(), /^(no recommendation yet( \(.+\))?|needs \d+ of 3 endpoints( at [\d ]+ req\/s forecast)?)$/, 'the header shows the scaling signal')
    t.equal(await web.locator('h2 .storm').textContent(), '', 'no storm at a steady load')
  })

  await t.test('with 50 endpoints, frames keep coming and a render stays small', async (t) => {
    t.equal(await page.locator('section[data-upstream="fleet"] table.endpoints tbody tr').count(), 50)
    const renderMs = await sampleRenderTimes(page, SAMPLED_FRAMES)
    const median = [...renderMs].sort((a, b) => a - b)[Math.floor(renderMs.length / 2)]
    t.comment(`render per frame, 53 endpoints in 2 upstreams: ${renderMs.map((ms) => ms.toFixed(1)).join(', ')} ms (median ${median.toFixed(1)})`)
    // Generous: a frame a second leaves the page idle when a render takes a few ms; 250 ms is a broken page.
    t.ok(median < 250, `median render ${median.toFixed(1)} ms < 250 ms`)
  })

  await t.test('an ejection shows in the endpoint table and in the timeline', async (t) => {
    const victim = rig.fleet[3]
    const id = idOf(victim.url)
    await victim.stop()
    const row = page.locator(`section[data-upstream="fleet"] tr[data-endpoint="${id}"]`)
    await row.locator('td.state-ejected').waitFor({ timeout: 15_000 })
    t.match(await row.locator('td').nth(10).textContent(), /^ejected, .* left$/, 'the ejection column counts down')
    t.equal(await row.locator('button.action-eject').textContent(), 'uneject', 'the button offers the way back')
    const entry = page.locator('#timeline .entry-event', { hasText: id }).filter({ hasText: 'ejected' })
    await entry.first().waitFor({ timeout: 5_000 })
    t.match(await entry.first().locator('.target').textContent(), `fleet / ${id}`)
    await page.screenshot({ path: SCREENSHOT })
  })

  await t.test('clicking drain drains the endpoint in the API and writes an audit line', async (t) => {
    const id = idOf(rig.web[2].url)
    const row = page.locator(`section[data-upstream="web"] tr[data-endpoint="${id}"]`)
    await row.locator('button.action-drain').click()
    await row.locator('button.action-drain', { hasText: 'undrain' }).waitFor()
    const upstreams = (await (await request(`${rig.admin}/api/upstreams`, { headers: auth })).body.json()) as UpstreamJson[]
    const endpoint = upstreams.find((u) => u.name === 'web')!.endpoints.find((e) => e.id === id)!
    t.match(endpoint.health, { drained: true }, 'the API shows it drained')
    const body = (await (await request(`${rig.admin}/api/audit?since=10m`, { headers: auth })).body.json()) as unknown
    const lines = (body as { records: { actor: string; action: string; target: string }[] }).records
    t.ok(
      lines.some((l) => l.actor === 'ops' && l.action === 'drain' && l.target === `web/${id}`),
      'an audit line names the token, the drain and the endpoint',
    )
    await row.locator('.manual', { hasText: 'operator: drained' }).waitFor({ timeout: 5_000 })
    t.pass('the next frame marks the drain as an operator\'s')
    await page.locator('#timeline .entry-audit', { hasText: 'drain' }).first().waitFor({ timeout: 10_000 })
    await page.screenshot({ path: SCREENSHOT })
    await row.locator('button.action-drain').click()
    await row.locator('button.action-drain', { hasText: /^drain$/ }).waitFor()
  })

  await t.test('the page speaks the admin write contract: path, token and JSON body; then it fetches the audit lines', async (t) => {
    // Answered in the browser: exactly what the page sends and how it reads the answer. The test above runs
    // the same click against the real API.
    const id = idOf(rig.web[1].url)
    const sent: { method: string; url: string; headers: Record<string, string>; body: unknown }[] = []
    await page.route('**/api/upstreams/*/endpoints/*/*', async (route) => {
      const req = route.request()
      sent.push({ method: req.method(), url: req.url(), headers: await req.allHeaders(), body: req.postDataJSON() })
      const drained = req.url().endsWith('/drain')
      await route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify({ upstream: 'web', endpoint: { id, health: { state: drained ? 'drained' : 'available', drained, ejected: false, ejectionRemainingMs: 0 } } }) })
    })
    await page.route('**/api/audit?since=10m', (route) =>
      route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify({ records: [{ time: new Date().toISOString(), actor: 'ops', action: 'drain', target: `web/${id}`, reason: 'drain from the dashboard' }], truncated: false }) }),
    )
    const row = page.locator(`section[data-upstream="web"] tr[data-endpoint="${id}"]`)
    await row.locator('button.action-drain').click()
    // The audit lines are fetched again once the answer was taken (the next frame then shows the real state).
    await page.locator('#timeline .entry-audit', { hasText: 'ops' }).first().waitFor({ timeout: 5_000 })
    t.notOk(await page.locator('#error').isVisible(), 'a 200 is no error')
    t.match(sent[0], {
      method: 'POST',
      url: `${rig.admin}/api/upstreams/web/endpoints/${encodeURIComponent(id)}/drain`,
      headers: { authorization: `Bearer ${ADMIN_SECRET}`, 'content-type': 'application/json' },
      body: { reason: 'drain from the dashboard' },
    })
    await page.unrouteAll()
  })

  await t.test('a refused action shows the API error: a read token cannot drain', async (t) => {
    const viewer = await context.newPage() // a new tab: empty session storage, so a new login
    t.teardown(() => viewer.close())
    await viewer.goto(`${rig.admin}/`)
    await viewer.fill('#token', VIEWER_SECRET)
    await viewer.click('#login button[type=submit]')
    const id = idOf(rig.web[0].url)
    await viewer.locator(`section[data-upstream="web"] tr[data-endpoint="${id}"] button.action-drain`).click()
    await viewer.locator('#error').waitFor({ state: 'visible' })
    t.match(await viewer.locator('#error').textContent(), new RegExp(`^drain ${id.replace(/\./g, '\\.')} refused: .+ \\(BATON_ADMIN_FORBIDDEN\\)$`))
    const upstreams = (await (await request(`${rig.admin}/api/upstreams`, { headers: auth })).body.json()) as UpstreamJson[]
    t.equal(upstreams.find((u) => u.name === 'web')!.endpoints.find((e) => e.id === id)!.health.drained, false, 'and nothing changed')
  })

  await t.test('the header names the recommendation and the storm, the table an operator weight (frames answered in the browser)', async (t) => {
    // A real frame with the signals set: which states the running rig reaches in a few seconds is not up to
    // the test, what the page makes of each state is.
    const { frames } = await readStream(rig.admin, ADMIN_SECRET, (f) => f.length >= 1)
    const before = withWeb(frames[0], (w) => ({ ...w, scaling: { recommended: null, current: 3, forecastRps: null, reason: 'no sample yet' } }))
    const after = withWeb(frames[0], (w) => ({
      ...w,
      scaling: { recommended: 5, current: 3, forecastRps: 1_200, reason: null },
      storm: { storming: true, level: 0.25 },
      endpoints: w.endpoints.map((e, i) => (i === 1 ? { ...e, manual: { drained: false, ejected: false, weight: 2 } } : e)),
    }))
    const tab = await context.newPage()
    t.teardown(() => tab.close())
    let served = 0
    await tab.route('**/api/stream', (route) => route.fulfill({ status: 200, contentType: 'text/event-stream', body: sse(served++ === 0 ? [before] : [before, after]) }))
    await tab.goto(`${rig.admin}/`)
    const web = tab.locator('section[data-upstream="web"]')
    await web.locator('h2 .scaling', { hasText: 'no recommendation yet (no sample yet)' }).waitFor({ timeout: 5_000 })
    t.pass('before the signal has a count: no recommendation yet, and why')
    // The page reconnects when the answered stream ends; the second answer carries the recommendation.
    await web.locator('h2 .scaling', { hasText: 'needs 5 of 3 endpoints at 1 200 req/s forecast' }).waitFor({ timeout: 10_000 })
    t.equal(await web.locator('h2 .storm').textContent(), 'STORM: retries and hedges at 25 %', 'the storm state')
    t.equal(await web.locator('table.endpoints tbody tr').nth(1).locator('.manual').textContent(), 'operator: weight 2', 'the operator marker beside the id')
    t.equal(await web.locator('table.endpoints tbody tr').nth(0).locator('.manual').textContent(), '', 'none where nothing was set')
  })

  done = true
  await loading
  t.same(problems, [], 'no script error and no CSP refusal in the page')
})

/** `frame` with its web upstream replaced by `change(web)`. */
function withWeb(frame: DashboardFrame, change: (web: DashboardFrame['upstreams'][number]) => DashboardFrame['upstreams'][number]): DashboardFrame {
  return { ...frame, events: [], upstreams: frame.upstreams.map((u) => (u.name === 'web' ? change(u) : u)) }
}

/** Frames as a Server-Sent Events body. */
function sse(frames: readonly DashboardFrame[]): string {
  return frames.map((f) => `data: ${JSON.stringify(f)}\n\n`).join('')
}

/** Render times of the next `count` frames, as the page measured them (performance.now() around a frame). */
async function sampleRenderTimes(page: Page, count: number): Promise<number[]> {
  const body = page.locator('body')
  const out: number[] = []
  let seen = Number(await body.getAttribute('data-frames'))
  while (out.length < count) {
    await page.waitForFunction(framesAbove, seen, { timeout: 10_000 })
    seen = Number(await body.getAttribute('data-frames'))
    out.push(Number(await body.getAttribute('data-render-ms')))
  }
  return out
}

