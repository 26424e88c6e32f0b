/**
 * Parent side of bench/soak/baton-process.ts: starts Baton in a process of its own, collects its resource
 * samples, and stops it, by its pid only. (bench/lib/children.ts forks the throughput bench's own entries
 * only, so this is the soak's counterpart; the ready message and the tie of the child's life to the parent
 * are bench/lib/ipc.ts's.)
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { BatonConfig } from '../../src/config/types.js'
import { isReadyMessage } from '../lib/ipc.js'
import { isBatonReport, isResourceSample, type BatonReport, type ResourceSample, type StopMessage } from './resource-messages.js'

/** env(1), to start Baton's process with a clean NODE_OPTIONS (see start()). The soak is Linux-only anyway (/proc/self/fd). */
const ENV_PATH = '/usr/bin/env'
/** Loading Baton's code and binding takes a second or two; more means something is wrong. */
const READY_TIMEOUT_MS = 15_000
/** After 'stop', Baton drains (up to its 2 s drain timeout) and exits; past this it gets SIGKILL. */
const EXIT_TIMEOUT_MS = 5_000

export class BatonChild {
  /** Every sample received, in order. */
  readonly samples: ResourceSample[] = []
  /** Baton's own account, sent when it is told to stop; null until then (or if it died first). */
  report: BatonReport | null = null
  private stopping: Promise<void> | null = null

  private constructor(
    private readonly child: ChildProcess,
    readonly pid: number,
    readonly url: string,
  ) {
    child.on('message', (m) => {
      if (isResourceSample(m)) this.samples.push(m)
      else if (isBatonReport(m)) this.report = m
    })
  }

  static async start(config: BatonConfig): Promise<BatonChild> {
    const script = fileURLToPath(new URL('./baton-process.js', import.meta.url))
    // Through env(1) with NODE_OPTIONS unset: a test runner's loaders stay out of Baton's process, its heap
    // and its RSS. tap's @tapjs/processinfo adds its loader to the NODE_OPTIONS of every process spawned under
    // it, whatever env is passed (measured: +7 MiB heap, +30 MiB RSS); `env -u` drops it as it execs node, so
    // the pid and the IPC channel are Node's own. Child output goes to stderr, so the soak's stdout holds only
    // the report (or TAP under the test).
    const child = spawn(ENV_PATH, ['-u', 'NODE_OPTIONS', process.execPath, '--expose-gc', script, JSON.stringify(config)], {
      stdio: ['ignore', 2, 2, 'ipc'],
    })
    const pid = child.pid
    if (pid === undefined) throw new Error('could not start baton-process')
    // Whatever way the soak ends, Baton does not outlive it (kill(2) is synchronous, fit for 'exit').
    const onParentExit = (): void => kill(pid, 'SIGKILL')
    process.once('exit', onParentExit)
    child.once('exit', () => process.off('exit', onParentExit))
    const url = await new Promise<string>((resolve, reject) => {
      const fail = (why: string): void => {
        clearTimeout(timer)
        kill(pid, 'SIGKILL')
        reject(new Error(`baton-process (pid ${pid}) ${why}`))
      }
      const onExit = (code: number | null, sig: NodeJS.Signals | null): void => fail(`exited before ready (code ${code}, signal ${sig})`)
      const timer = setTimeout(() => fail(`not ready within ${READY_TIMEOUT_MS} ms`), READY_TIMEOUT_MS)
      child.once('exit', onExit)
      const onMessage = (m: unknown): void => {
        if (!isReadyMessage(m)) return
        clearTimeout(timer)
        child.off('exit', onExit)
        child.off('message', onMessage)
        const first = m.urls[0]
        if (first === undefined) fail('reported no listener')
        else resolve(first)
      }
      child.on('message', onMessage)
    })
    return new BatonChild(child, pid, url)
  }

  /** Graceful stop ('stop' over IPC), SIGKILL if Baton has not exited within EXIT_TIMEOUT_MS. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= this.stopChild()
    return this.stopping
  }

  private async stopChild(): Promise<void> {
    if (!isRunning(this.child)) return
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()))
    const stop: StopMessage = { type: 'stop' }
    if (this.child.connected) this.child.send(stop)
    else kill(this.pid, 'SIGTERM')
    const timer = setTimeout(() => kill(this.pid, 'SIGKILL'), EXIT_TIMEOUT_MS)
    await exited
    clearTimeout(timer)
  }
}

function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null
}

/** kill(2) that tolerates a process that already exited. */
function kill(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err
  }
}
