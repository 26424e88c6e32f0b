import t from 'tap'
import { request } from 'undici'
import type { DashboardEvent, DashboardFrame } from '../../src/admin/dashboard-frame.js'
import { LeakCheck } from '../helpers/leak-check.js'
import { ADMIN_SECRET, loadBoth, readStream, startDashboardRig, VIEWER_SECRET } from '../helpers/dashboard-rig.js'

/** Bound of every load loop here, ms. */
const LOAD_MS = 8_000

const upstreamOf = (frame: DashboardFrame, name: string) => frame.upstreams.find((u) => u.name === name)!

t.test('GET /api/stream: a token is needed, frames carry every endpoint with live rates, shares and latency', async (t) => {
  const rig = await startDashboardRig(t, 4)
  const refused = await request(`${rig.admin}/api/stream`)
  t.equal(refused.statusCode, 401, 'no token, no data')
  await refused.body.text()

  const head = await request(`${rig.admin}/api/stream`, { headers: { authorization: `Bearer ${VIEWER_SECRET}` } })
  t.equal(head.statusCode, 200, 'a read token is enough')
  t.match(head.headers['content-type'], /^text\/event-stream/)
  t.equal(head.headers['cache-control'], 'no-store')
  head.body.destroy()
  const headOnly = await request(`${rig.admin}/api/stream`, { method: 'HEAD', headers: { authorization: `Bearer ${VIEWER_SECRET}` } })
  t.equal(headOnly.statusCode, 200, 'HEAD answers at once, holding no stream')
  t.match(headOnly.headers['content-type'], /^text\/event-stream/)
  await headOnly.body.text()

  let done = false
  const deadline = Date.now() + LOAD_MS
  const loading = loadBoth(rig, 4, () => done || Date.now() > deadline)
  // Enough once a frame shows load on every web endpoint and the model's estimate for them.
  const busy = (f: DashboardFrame): boolean => upstreamOf(f, 'web').endpoints.every((e) => e.rate > 0 && e.predictedMs !== null && e.p99Ms > 0)
  const { frames } = await readStream(rig.admin, VIEWER_SECRET, (fs) => fs.length >= 3 && busy(fs[fs.length - 1]))
  done = true
  const samples = await loading
  t.ok(samples.length > 0 && samples.every((s) => s.status === 200), `${samples.length} requests answered 200`)
  const last = frames[frames.length - 1]
  t.ok(busy(last), 'the last frame shows live rates, p99 and predicted latency on every web endpoint')
  t.same(last.upstreams.map((u) => [u.name, u.endpoints.length]), [['web', 3], ['fleet', 4]], 'every upstream and endpoint, in config order')
  const share = upstreamOf(last, 'web').endpoints.reduce((sum, e) => sum + e.share, 0)
  t.ok(Math.abs(share - 1) < 1e-9, `web shares sum to 1 (${share})`)
  t.match(upstreamOf(last, 'web').endpoints[0], {
    id: rig.web[0].url.slice('http://'.length),
    state: 'available',
    routed: true,
    ejected: false,
    drained: false,
    errorRate: 0,
    forecast: null,
  })
  t.equal(upstreamOf(last, 'fleet').endpoints[0].predictedMs, null, 'round_robin predicts nothing')
  t.ok(frames.every((f, i) => i === 0 || f.timeMs > frames[i - 1].timeMs), 'frames come in order')
})

t.test('events since the previous frame: an ejection reaches the stream once', async (t) => {
  const rig = await startDashboardRig(t, 4)
  const victim = rig.fleet[1]
  const victimId = victim.url.slice('http://'.length)
  let done = false
  const deadline = Date.now() + LOAD_MS
  const reading = readStream(rig.admin, ADMIN_SECRET, (fs) => fs.some((f) => f.events.some((e) => e.kind === 'ejected')) || Date.now() > deadline)
  await victim.stop()
  const loading = loadBoth(rig, 2, () => done || Date.now() > deadline)
  const { frames } = await reading
  done = true
  await loading
  const events = frames.flatMap((f) => f.events)
  const ejected = events.filter((e) => e.kind === 'ejected')
  t.match(ejected, [{ upstream: 'fleet', endpoint: victimId }], 'the refusing endpoint was ejected, and the stream said so')
  const keys = events.map((e: DashboardEvent) => `${e.timeMs} ${e.upstream} ${e.endpoint} ${e.kind}`)
  t.equal(new Set(keys).size, keys.length, 'no event is sent twice')
  const ejectedFrame = frames.find((f) => f.events.some((e) => e.kind === 'ejected'))!
  t.match(upstreamOf(ejectedFrame, 'fleet').endpoints[1], { id: victimId, ejected: true, routed: false }, 'the frame shows the ejection in the endpoint state too')
})

t.test('at most 8 streams at once; the admin server closing ends them cleanly and leaves nothing behind', async (t) => {
  const leaks = LeakCheck.baseline()
  const rig = await startDashboardRig(t, 1)
  const open = Array.from({ length: 8 }, () => readStream(rig.admin, VIEWER_SECRET, () => false))
  // The ninth is refused while eight are open: try until the eight are in (a try before that is admitted and closed).
  let ninth = 0
  let code = ''
  for (let attempt = 0; attempt < 50 && ninth !== 503; attempt++) {
    const res = await request(`${rig.admin}/api/stream`, { headers: { authorization: `Bearer ${VIEWER_SECRET}` } })
    ninth = res.statusCode
    if (ninth === 503) code = ((await res.body.json()) as { error: string }).error
    else res.body.destroy()
    await new Promise((r) => setTimeout(r, 50))
  }
  t.equal(ninth, 503, 'the ninth stream is refused')
  t.equal(code, 'BATON_TOO_MANY_STREAMS')

  await rig.baton.close()
  const results = await Promise.all(open)
  t.ok(results.every((r) => r.ended && r.frames.length >= 1), 'every stream got frames, then a clean end of stream (not a cut connection)')
  await Promise.all([...rig.web, ...rig.fleet].map((b) => b.stop()))
  await leaks.expectNoLeaks(t, 'no stream timer, socket or fd left over')
})

t.test('the page and its files are public, typed, under a CSP, revalidated by ETag; uPlot comes from node_modules', async (t) => {
  const rig = await startDashboardRig(t, 1)
  const cases = [
    { path: '/', type: /^text\/html/, body: /<script type="module" src="\/js\/dashboard.js">/ },
    { path: '/dashboard.css', type: /^text\/css/, body: /table\.endpoints/ },
    { path: '/js/dashboard.js', type: /^text\/javascript/, body: /readFrames/ },
    { path: '/js/frame-reader.js', type: /^text\/javascript/, body: /text\/event-stream/ },
    { path: '/uplot.min.js', type: /^text\/javascript/, body: /uPlot/ },
    { path: '/uplot.min.css', type: /^text\/css/, body: /\.uplot/ },
  ]
  for (const c of cases) {
    const res = await request(`${rig.admin}${c.path}`)
    const body = await res.body.text()
    t.equal(res.statusCode, 200, `${c.path} without a token`)
    t.match(res.headers['content-type'], c.type, `${c.path} content type`)
    t.match(body, c.body)
    t.match(res.headers, { 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff', 'content-security-policy': /^default-src 'none'; script-src 'self'; style-src 'self';/ })
    t.notMatch(res.headers['content-security-policy'], /unsafe/, 'no unsafe-inline, no unsafe-eval')
    const again = await request(`${rig.admin}${c.path}`, { headers: { 'if-none-match': String(res.headers.etag) } })
    t.equal(again.statusCode, 304, `${c.path} unchanged: 304`)
    await again.body.text()
  }
  const html = await request(`${rig.admin}/`)
  t.notMatch(await html.body.text(), /<script>|<style>|style="|https?:\/\//, 'no inline script or style, nothing from elsewhere')
})
