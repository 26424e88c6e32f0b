import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { hostArgv, type ControlMessage, type HostArgs, type HostMessage } from './fleet-messages.js'

const HOST_SCRIPT = fileURLToPath(new URL('./backend-host.js', import.meta.url))
/** Forking Node and listening on four ports takes well under a second; 5 s means something is wrong. */
const READY_TIMEOUT_MS = 5_000
/** How long a stopping child may take to report and exit before it is killed. */
const STOP_TIMEOUT_MS = 2_000

/** Backend hosts alive right now, so an interrupt or the watchdog can kill them by pid. */
const live = new Set<ChildProcess>()

/** SIGKILL to every backend host still running. */
export function killBackendHosts(): void {
  for (const child of live) kill(child)
}

/** One scenario's backends, running in a child process (backend-host.ts). */
export class BackendFleet {
  private stopping: Promise<number | null> | null = null

  private constructor(
    private readonly child: ChildProcess,
    readonly urls: readonly string[],
  ) {}

  static async start(args: HostArgs): Promise<BackendFleet> {
    const child = fork(HOST_SCRIPT, hostArgv(args), { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    live.add(child)
    child.once('exit', () => live.delete(child))
    try {
      const ready = await nextMessage(child, 'ready', READY_TIMEOUT_MS)
      return new BackendFleet(child, ready.urls)
    } catch (err) {
      kill(child)
      throw err
    }
  }

  /** Time 0 of the scripts. */
  begin(): void {
    this.send({ type: 'start' })
  }

  /** Stops the backends; returns the child's event-loop utilisation 0..1 since begin(), or null if it never said. Idempotent. */
  stop(): Promise<number | null> {
    this.stopping ??= this.stopChild()
    return this.stopping
  }

  private async stopChild(): Promise<number | null> {
    const report = nextMessage(this.child, 'stopped', STOP_TIMEOUT_MS).then(
      (m) => m.eventLoopUtilization,
      () => null,
    )
    this.send({ type: 'stop' })
    const utilization = await report
    if (!(await exited(this.child, STOP_TIMEOUT_MS))) kill(this.child)
    return utilization
  }

  private send(message: ControlMessage): void {
    if (this.child.connected) this.child.send(message)
  }
}

function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null
}

function kill(child: ChildProcess): void {
  if (child.pid !== undefined && isRunning(child)) process.kill(child.pid, 'SIGKILL')
}

/** Resolves with the first message of `type`; rejects if the child exits or stays silent for `timeoutMs`. */
function nextMessage<T extends HostMessage['type']>(child: ChildProcess, type: T, timeoutMs: number): Promise<Extract<HostMessage, { type: T }>> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: HostMessage): void => {
      if (m.type !== type) return
      cleanup()
      resolve(m as Extract<HostMessage, { type: T }>)
    }
    const fail = (why: string): void => {
      cleanup()
      reject(new Error(`backend host (pid ${child.pid}) ${why} before sending "${type}"`))
    }
    const onExit = (code: number | null): void => fail(`exited with ${code}`)
    const timer = setTimeout(() => fail(`was silent for ${timeoutMs} ms`), timeoutMs)
    const cleanup = (): void => {
      clearTimeout(timer)
      child.off('message', onMessage)
      child.off('exit', onExit)
    }
    child.on('message', onMessage)
    child.once('exit', onExit)
  })
}

function exited(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (!isRunning(child)) return Promise.resolve(true)
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs)
    child.once('exit', () => {
      clearTimeout(timer)
      resolve(true)
    })
  })
}
