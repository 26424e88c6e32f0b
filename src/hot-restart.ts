import { fork } from 'node:child_process'
import type { Server } from 'node:net'

/**
 * Zero-downtime restart (the idea of Pingora's graceful upgrade and HAProxy's `-x`): the running process
 * forks its successor with every listening socket's file descriptor in the child's stdio (fd 4, 5, …), so
 * both accept on the same sockets for a moment and no connection is refused; once the successor serves, it
 * says so over IPC and the old process drains and exits. The successor reads the config file again and
 * warm-starts from the models the old process saved just before. The descriptors travel as plain fds, not
 * as Node's IPC server handles: Node makes a received server handle accept at once, before anything in the
 * successor could read the connections it takes.
 *
 * The audit trail is one file with one hash chain, so one process writes it at a time: the successor keeps
 * its records in memory; once it serves, the predecessor flushes, fsyncs and closes the file (`handOver`),
 * says 'baton-handover', and only then does the successor open the file, continuing the chain from its last
 * line. What the predecessor records after that (while it drains) goes to its process log, not the trail.
 */

/** Listening descriptors a successor takes over: proxy listeners by name, and the admin server's. */
export interface InheritedSockets {
  readonly listeners: ReadonlyMap<string, { readonly fd: number }>
  readonly admin: { readonly fd: number } | null
}

/** The running servers whose sockets a successor takes over. */
export interface HandedOverServers {
  readonly listeners: ReadonlyMap<string, Server>
  readonly admin: Server | null
}

/** Names the descriptors in the successor: "main=4,listener-1=5"; the admin server's is named "@admin". */
const ENV = 'BATON_INHERITED_FDS'
const ADMIN = '@admin'
/** How long a successor may take from fork to serving before the old process gives up on it, ms. */
const SUCCESSOR_TIMEOUT_MS = 20_000

/** How long a successor waits for its predecessor to hand the audit file over before taking it anyway, ms. */
const HANDOVER_TIMEOUT_MS = 5_000

type ReadyMessage = { readonly type: 'baton-ready'; readonly pid: number }
type HandoverMessage = { readonly type: 'baton-handover' }

/**
 * In the running process: forks `script args` with the servers' descriptors, and resolves with the
 * successor's pid once it serves and `handOver` (the audit trail's) has run; rejects (the successor is
 * killed, this process keeps serving) when it exits first or takes longer than SUCCESSOR_TIMEOUT_MS.
 */
export function startSuccessor(script: string, args: readonly string[], servers: HandedOverServers, handOver: () => Promise<void>): Promise<number> {
  const named = [...servers.listeners].map(([name, server]) => [name, server] as const)
  if (servers.admin !== null) named.push([ADMIN, servers.admin])
  const fds = named.map(([, server]) => descriptorOf(server))
  const env = { ...process.env, [ENV]: named.map(([name], k) => `${name}=${4 + k}`).join(',') }
  return new Promise((resolve, reject) => {
    // detached: its own process group, so it outlives this one; stdout and stderr stay where ours go.
    const child = fork(script, [...args], { detached: true, env, stdio: ['ignore', 'inherit', 'inherit', 'ipc', ...fds] })
    const fail = (why: string): void => {
      clearTimeout(timer)
      child.kill('SIGKILL')
      reject(new Error(`successor failed: ${why}`))
    }
    const timer = setTimeout(() => fail(`not serving after ${SUCCESSOR_TIMEOUT_MS} ms`), SUCCESSOR_TIMEOUT_MS)
    child.once('exit', (code, signal) => fail(`exited (${signal ?? code}) before serving`))
    child.on('message', (message: ReadyMessage) => {
      if (message.type !== 'baton-ready') return
      clearTimeout(timer)
      child.removeAllListeners('exit')
      const release = (): void => {
        child.disconnect()
        child.unref()
        resolve(message.pid)
      }
      void handOver().finally(() => {
        if (child.connected) child.send({ type: 'baton-handover' } satisfies HandoverMessage, release)
        else release()
      })
    })
  })
}

/** In the successor: the descriptors its predecessor passed, from the environment it set. */
export function inheritedSockets(): InheritedSockets {
  const spec = process.env[ENV]
  if (spec === undefined || process.send === undefined) throw new Error('--inherit is for a successor started by a running Baton (SIGUSR2)')
  delete process.env[ENV] // not for the successor's own successor
  const listeners = new Map<string, { fd: number }>()
  let admin: { fd: number } | null = null
  for (const entry of spec.split(',').filter((e) => e !== '')) {
    const at = entry.lastIndexOf('=')
    const fd = { fd: Number(entry.slice(at + 1)) }
    if (entry.slice(0, at) === ADMIN) admin = fd
    else listeners.set(entry.slice(0, at), fd)
  }
  return { listeners, admin }
}

/**
 * In the successor, once it serves: tells the predecessor, which then hands the audit file over and drains;
 * resolves true once it has handed over, false when it did not say so within HANDOVER_TIMEOUT_MS (the
 * successor then takes the file anyway: the predecessor is stuck or gone). Drops the channel.
 */
export function announceReady(): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (handedOver: boolean): void => {
      clearTimeout(timer)
      process.off('message', onMessage)
      process.off('disconnect', onDisconnect)
      if (process.connected) process.disconnect()
      resolve(handedOver)
    }
    const onMessage = (message: HandoverMessage): void => {
      if (message.type === 'baton-handover') done(true)
    }
    const onDisconnect = (): void => done(false)
    const timer = setTimeout(() => done(false), HANDOVER_TIMEOUT_MS)
    process.on('message', onMessage)
    process.on('disconnect', onDisconnect)
    process.send!({ type: 'baton-ready', pid: process.pid } satisfies ReadyMessage)
  })
}

/** The listening socket's descriptor (libuv's TCP handle exposes it on Unix). */
function descriptorOf(server: Server): number {
  const fd = (server as unknown as { _handle: { fd?: number } | null })._handle?.fd
  if (typeof fd !== 'number' || fd < 0) throw new Error('a listening socket has no file descriptor to hand over')
  return fd
}
