/**
 * Parent side of the bench processes: fork a child (or spawn another program), wait for its ready message, and kill it by pid.
 * Every child is tracked until it exits, so a run that ends, fails or is interrupted leaves none behind.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { procCpuSeconds } from './cpu.js'
import { isCpuAnswer, isReadyMessage, type CpuRequest } from './ipc.js'
import type { ContenderContext, ProxyName } from './proxies.js'

/** How long a child may take to load its code, bind and report, ms. */
const READY_TIMEOUT_MS = 15_000
/** How long a child may take to exit after SIGTERM before it gets SIGKILL, ms. */
const EXIT_TIMEOUT_MS = 3_000
/** How long a contender may take to answer a CPU-time question over IPC (only where /proc is missing), ms. */
const CPU_ANSWER_TIMEOUT_MS = 2_000

export interface BenchChild {
  readonly pid: number
  readonly urls: readonly string[]
  /** The child's ready note (what it chose to run), or null. */
  readonly note: string | null
}

const live = new Map<number, ChildProcess>()

/** The loopback backend, listening on `ports` ports in one process. */
export function startBackend(ports: number): Promise<BenchChild> {
  return forkReady('backend-process.js', [String(ports)])
}

/**
 * One proxy contender in its own process, forwarding to `backendUrls`. `context` holds the other checkout's
 * dist folder for `baton-base` and the certificate for the TLS contenders (each contender reads what it needs).
 */
export function startProxy(name: ProxyName, backendUrls: readonly string[], context: ContenderContext): Promise<BenchChild> {
  return forkReady('contender-process.js', [name, JSON.stringify(context), ...backendUrls])
}

/**
 * CPU seconds (user + system) a child has used since it started: from /proc/<pid>/stat where there is one
 * (read by us, at this instant, the child runs nothing), else its own process.cpuUsage() over IPC. Null when
 * neither answers.
 */
export async function childCpuSeconds(pid: number): Promise<number | null> {
  const fromProc = procCpuSeconds(pid)
  if (fromProc !== null) return fromProc
  const child = live.get(pid)
  if (child === undefined || !child.connected) return null
  return new Promise((resolve) => {
    const done = (value: number | null): void => {
      clearTimeout(timer)
      child.off('message', onMessage)
      resolve(value)
    }
    const onMessage = (message: unknown): void => {
      if (isCpuAnswer(message)) done((message.userUs + message.systemUs) / 1e6)
    }
    const timer = setTimeout(() => done(null), CPU_ANSWER_TIMEOUT_MS)
    child.on('message', onMessage)
    const request: CpuRequest = { type: 'cpu?' }
    child.send(request)
  })
}

/**
 * A program that is not a Node bench entry (nginx, say), started with `args`, its output to our stderr, tracked
 * like the forked children so stopChild, stopAllChildren and the watchdog stop it too. Returns its pid.
 */
export function spawnTracked(file: string, args: readonly string[]): number {
  const pid = track(spawn(file, args, { stdio: ['ignore', 2, 2] }))
  if (pid === null) throw new Error(`could not start ${file}`)
  return pid
}

/** Tracks `child` until it exits (stopChild, stopAllChildren, the watchdog); its pid, null when it did not start. */
function track(child: ChildProcess): number | null {
  const pid = child.pid
  if (pid === undefined) return null
  live.set(pid, child)
  child.once('exit', () => live.delete(pid))
  return pid
}

/** SIGTERM, then SIGKILL if it has not exited within EXIT_TIMEOUT_MS. */
export async function stopChild(pid: number): Promise<void> {
  const child = live.get(pid)
  if (child === undefined) return
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  signal(pid, 'SIGTERM')
  const timer = setTimeout(() => signal(pid, 'SIGKILL'), EXIT_TIMEOUT_MS)
  await exited
  clearTimeout(timer)
}

export async function stopAllChildren(): Promise<void> {
  await Promise.all([...live.keys()].map(stopChild))
}

/** For signal handlers and the watchdog, which cannot wait: SIGKILL every child still alive. */
export function killAllChildrenNow(): void {
  for (const pid of live.keys()) signal(pid, 'SIGKILL')
}

/** Forks `entry` (a path relative to this folder) with `args` and waits for its ready message. */
export function forkReady(entry: string, args: readonly string[]): Promise<BenchChild> {
  // Children write to our stderr: stdout stays clean for the table or --json.
  const child = fork(fileURLToPath(new URL(entry, import.meta.url)), args, { stdio: ['ignore', 2, 2, 'ipc'] })
  const pid = track(child)
  if (pid === null) return Promise.reject(new Error(`could not fork ${entry}`))
  return new Promise((resolve, reject) => {
    const fail = (reason: string): void => {
      clearTimeout(timer)
      signal(pid, 'SIGKILL')
      reject(new Error(`${entry} ${args[0] ?? ''}: ${reason}`))
    }
    const onExit = (code: number | null, sig: NodeJS.Signals | null): void =>
      fail(`exited before ready (code ${code}, signal ${sig}); see the bench stderr`)
    const timer = setTimeout(() => fail(`not ready within ${READY_TIMEOUT_MS} ms`), READY_TIMEOUT_MS)
    child.once('exit', onExit)
    child.on('message', (message) => {
      if (!isReadyMessage(message)) return
      clearTimeout(timer)
      child.off('exit', onExit)
      resolve({ pid, urls: message.urls, note: message.note ?? null })
    })
  })
}

/** kill(2) that tolerates a process that already exited. */
function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err
  }
}
