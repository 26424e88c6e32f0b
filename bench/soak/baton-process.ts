/**
 * Child-process entry: Baton alone in its process, so the RSS, heap, descriptors and event-loop delay the
 * soak measures are Baton's and nothing else's. argv[2] = the BatonConfig as JSON. Reports its listener URL
 * (bench/lib/ipc.ts, which also exits when the parent goes away), then a ResourceSample every second; on
 * { type: 'stop' } sends Baton's own account (BatonReport), closes Baton (graceful drain) and exits. Needs --expose-gc (baton-child.ts passes it).
 */
import { readdirSync } from 'node:fs'
import { monitorEventLoopDelay, performance } from 'node:perf_hooks'
import type { BatonConfig } from '../../src/config/types.js'
import { startBaton } from '../../src/index.js'
import { reportReady } from '../lib/ipc.js'
import { isStopMessage, type BatonReport, type EjectionMark, type ResourceSample } from './resource-messages.js'

/** Sampling period, ms. */
const SAMPLE_EVERY_MS = 1_000
/** Event-loop delay histogram resolution, ms (Node's default). */
const LOOP_DELAY_RESOLUTION_MS = 10

const gc = (globalThis as { gc?: () => void }).gc
if (gc === undefined) throw new Error('baton-process needs --expose-gc')
const collect = gc

const baton = await startBaton(JSON.parse(process.argv[2]) as BatonConfig)
const loopDelay = monitorEventLoopDelay({ resolution: LOOP_DELAY_RESOLUTION_MS })
loopDelay.enable()

function sample(): ResourceSample {
  const loopDelayP99Ms = loopDelay.percentile(99) / 1e6
  const loopDelayMaxMs = loopDelay.max / 1e6
  loopDelay.reset()
  const rssBytes = process.memoryUsage.rss() // before the collection: RSS as it is
  // The histogram is off during the forced collection: its pause is the measurement's, not Baton's.
  loopDelay.disable()
  const gcStart = performance.now()
  collect()
  const gcMs = performance.now() - gcStart
  loopDelay.enable()
  return {
    type: 'sample',
    atMs: Date.now(),
    rssBytes,
    heapUsedBytes: process.memoryUsage().heapUsed,
    openFds: readdirSync('/proc/self/fd').length - 1,
    loopDelayP99Ms,
    loopDelayMaxMs,
    gcMs,
  }
}

function report(): BatonReport {
  const budgets = baton.clusters.map((c) => c.retryBudget)
  const events = baton.events.list()
  const healthEvents: Record<string, number> = {}
  for (const e of events) healthEvents[e.kind] = (healthEvents[e.kind] ?? 0) + 1
  const ejections: EjectionMark[] = []
  for (const e of events) if (e.kind === 'ejected' || e.kind === 'returned') ejections.push({ atMs: e.timeMs, endpoint: e.endpoint, kind: e.kind })
  return {
    type: 'report',
    retriesGranted: budgets.reduce((n, b) => n + b.granted, 0),
    retriesRefused: budgets.reduce((n, b) => n + b.refused, 0),
    healthEvents,
    ejections,
  }
}

const sampler = setInterval(() => process.send?.(sample()), SAMPLE_EVERY_MS)
process.on('message', (message) => {
  if (!isStopMessage(message)) return
  clearInterval(sampler)
  process.send?.(report())
  void baton.close().then(() => process.exit(0))
})
reportReady(baton.listenerUrls)
