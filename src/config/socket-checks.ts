import type { PathIssue } from './path-issue.js'
import type { RawConfig } from './schema.js'

/** One address:port the process will listen on, and where the config asks for it. */
interface Socket {
  readonly path: readonly (string | number)[]
  /** How a later clash names this one: "listeners[0]", "admin", "demo.backends[2]". */
  readonly label: string
  readonly address: string
  readonly port: number
}

/** Addresses that bind every interface; Node's "::" is dual-stack, so it covers IPv4 too. */
const WILDCARDS = new Set(['0.0.0.0', '::', '[::]'])

/**
 * Listeners, the admin server and the demo backends all bind a port; two that would fail with
 * EADDRINUSE at start-up are reported here instead, at the later one. Port 0 (the OS picks) never clashes.
 */
export function socketClashes(config: RawConfig): PathIssue[] {
  const sockets = socketsOf(config).filter((s) => s.port !== 0)
  const issues: PathIssue[] = []
  sockets.forEach((socket, i) => {
    const earlier = sockets.slice(0, i).find((other) => clash(other, socket))
    if (earlier !== undefined) issues.push({ path: [...socket.path], message: `port ${socket.port} is already used by ${earlier.label}` })
  })
  return issues
}

function socketsOf(config: RawConfig): Socket[] {
  const listeners = config.listeners.map((l, i) => ({ path: ['listeners', i, 'port'], label: `listeners[${i}]`, address: l.address, port: l.port }))
  const admin = config.admin.enabled ? [{ path: ['admin', 'port'], label: 'admin', address: config.admin.address, port: config.admin.port }] : []
  const demo = (config.demo?.backends ?? []).map((b, i) => ({ path: ['demo', 'backends', i, 'port'], label: `demo.backends[${i}]`, address: b.address, port: b.port }))
  return [...listeners, ...admin, ...demo]
}

/** Same port and the same address, or either binds all interfaces (Linux refuses 127.0.0.1:p beside 0.0.0.0:p). */
function clash(a: Socket, b: Socket): boolean {
  return a.port === b.port && (a.address === b.address || WILDCARDS.has(a.address) || WILDCARDS.has(b.address))
}
