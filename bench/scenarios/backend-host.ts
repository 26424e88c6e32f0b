/**
 * Child-process entry: hosts one scenario's four scripted backends, so their timers and sockets do not
 * share an event loop with the proxy under test. Driven by run.ts over IPC (fleet-messages.ts); exits
 * when told to or when the parent goes away.
 */
import { performance } from 'node:perf_hooks'
import { SeededRng } from '../../src/util/rng.js'
import { reportReady } from '../lib/ipc.js'
import type { ControlMessage, HostMessage } from './fleet-messages.js'
import { parseHostArgv } from './fleet-messages.js'
import { scenarioNamed } from './scenarios.js'
import { ScriptedBackend } from './scripted-backend.js'
import { timescaleFor } from './timeline.js'

/** Seeds of one scenario's backends are seed·SEED_STRIDE + index, so no two backends share a stream. */
const SEED_STRIDE = 100

const args = parseHostArgv(process.argv.slice(2))
const timescale = timescaleFor(args.durationMs)
const backends = scenarioNamed(args.scenario).backends.map(
  (script, i) => new ScriptedBackend(script, new SeededRng(args.seed * SEED_STRIDE + i), timescale),
)
let loopAtStart = performance.eventLoopUtilization()

function onControl(message: ControlMessage): void {
  if (message.type === 'start') {
    loopAtStart = performance.eventLoopUtilization()
    for (const b of backends) b.start()
    return
  }
  for (const b of backends) b.close()
  const report: HostMessage = { type: 'stopped', eventLoopUtilization: performance.eventLoopUtilization(loopAtStart).utilization }
  process.send?.(report, undefined, {}, () => process.exit(0)) // exit once the report is out
}

process.on('message', onControl)
reportReady(await Promise.all(backends.map((b) => b.listen()))) // also exits when the parent goes away
