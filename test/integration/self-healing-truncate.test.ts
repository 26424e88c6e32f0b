import { request } from 'node:http'
import t from 'tap'
import { adminJson, healthConfig, startHealingRig, type UpstreamsJson } from '../helpers/healing-rig.js'
import { startScripted } from '../helpers/scripted-backend.js'

// Fault 3 of issue 4: the backend dies after sending the response headers and part of the body.

interface Received {
  status: number
  backend: string
  declared: number
  received: number
  /** The response ended cleanly (false: the connection broke before the end). */
  complete: boolean
}

/** A GET through node:http that reports how much of the declared body arrived instead of rejecting. */
function fetchCounting(url: string): Promise<Received> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false }, (res) => {
      const out: Received = {
        status: res.statusCode ?? 0,
        backend: String(res.headers['x-backend'] ?? ''),
        declared: Number(res.headers['content-length'] ?? -1),
        received: 0,
        complete: false,
      }
      let settled = false
      const settle = (): void => {
        if (settled) return
        settled = true
        resolve(out)
      }
      res.on('data', (chunk: Buffer) => (out.received += chunk.length))
      res.on('end', () => {
        out.complete = true
        settle()
      })
      res.on('error', settle)
      res.on('aborted', settle)
      res.on('close', settle)
    })
    req.on('error', reject)
    req.end()
  })
}

t.test('a response cut after its headers is not retried: the client sees the truncation', async (t) => {
  const [a, b] = await startScripted('a', 'b')
  a.mode = 'truncate'
  const rig = await startHealingRig(t, [a, b], { overrides: { health: healthConfig({ outlier: { consecutiveGatewayErrors: 100 } }) } })
  // Round robin alternates: of two GETs one meets a.
  const results = [await fetchCounting(`${rig.url}/file`), await fetchCounting(`${rig.url}/file`)]
  const cut = results.find((r) => r.backend === 'a')
  const whole = results.find((r) => r.backend === 'b')
  t.ok(cut, 'one GET was answered by a')
  t.ok(whole, 'the other by b')
  t.match(cut, { status: 200, declared: 1000, complete: false }, 'the client got a\'s headers, then the connection closed')
  t.ok(cut!.received < cut!.declared, `fewer bytes than declared: ${cut!.received} of ${cut!.declared}`)
  t.match(whole, { status: 200, complete: true })
  t.equal(a.traffic, 1, 'a got the request once')
  t.equal(b.traffic, 1, 'b got only its own request: the truncated one was not retried there')

  const [upstream] = await adminJson<UpstreamsJson[]>(rig, '/api/upstreams')
  const endpointA = upstream.endpoints[0]
  t.equal(endpointA.errors, 1, 'the broken response counts as one error of a')
  t.equal(upstream.endpoints[1].errors, 0)
  t.equal(upstream.retryBudget.retrying, 0, 'no retry in flight')
})

t.test('an endpoint that always dies after its headers is ejected after consecutive gateway errors', async (t) => {
  const [a, b] = await startScripted('a', 'b')
  a.mode = 'truncate'
  const rig = await startHealingRig(t, [a, b], {
    overrides: { health: healthConfig({ outlier: { consecutiveGatewayErrors: 2, consecutive5xx: 2, baseEjectionTime: '60s' } }) },
  })
  for (let i = 0; i < 20; i++) await fetchCounting(`${rig.url}/file/${i}`)
  const [upstream] = await adminJson<UpstreamsJson[]>(rig, '/api/upstreams')
  t.equal(upstream.endpoints[0].errorsByCode.BATON_UPSTREAM_RESET, a.traffic, `every response of a broke (${a.traffic})`)
  t.ok(a.traffic >= 2 && a.traffic <= 3, `a met ${a.traffic} requests: 2 broken in a row eject it`)
  // Health hears of a 2xx attempt once, when its body ends: a broken body is a gateway error, not a success.
  t.ok(
    rig.baton.events.list().some((e) => e.kind === 'ejected' && e.endpoint === rig.ids[0]),
    'a was ejected',
  )
})
