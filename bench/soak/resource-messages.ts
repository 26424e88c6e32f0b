/** The IPC conversation between the soak (parent) and bench/soak/baton-process.ts (Baton alone in its child). */
import type { ReadyMessage } from '../lib/ipc.js'

/** Child → parent, once a second: what Baton's process holds. */
export interface ResourceSample {
  readonly type: 'sample'
  /** Date.now() in the child when the sample was taken. */
  readonly atMs: number
  /** Resident set size, bytes (process.memoryUsage.rss). */
  readonly rssBytes: number
  /** V8 heap in use right after a full collection, bytes: the live heap, without the garbage GC timing adds. */
  readonly heapUsedBytes: number
  /** Open file descriptors (entries of /proc/self/fd, the one used to read it excluded): sockets, files, pipes. */
  readonly openFds: number
  /** Event-loop delay over the last second (perf_hooks.monitorEventLoopDelay), 99th percentile and maximum, ms. */
  readonly loopDelayP99Ms: number
  readonly loopDelayMaxMs: number
  /** How long the forced collection took, ms: the price of measuring the live heap. */
  readonly gcMs: number
}

/** An ejection or return of an endpoint, as Baton's health event log has it. */
export interface EjectionMark {
  /** Date.now() of the event. */
  readonly atMs: number
  /** Endpoint id, "127.0.0.1:port". */
  readonly endpoint: string
  readonly kind: 'ejected' | 'returned'
}

/** Child → parent, once, on 'stop' before Baton closes: Baton's own account of the run. */
export interface BatonReport {
  readonly type: 'report'
  /** Retries and hedges the retry budget granted, and the retries it refused (overload/retry-budget.ts). */
  readonly retriesGranted: number
  readonly retriesRefused: number
  /** Health events of the run by kind (ejected, returned, healthy, unhealthy, drain, panic-on…). */
  readonly healthEvents: Readonly<Record<string, number>>
  /** Ejections and returns still in the event ring (its newest 1000 events). */
  readonly ejections: readonly EjectionMark[]
}

/** Child → parent. */
export type ChildMessage = ReadyMessage | ResourceSample | BatonReport

/** Parent → child: close Baton (graceful drain) and exit. */
export interface StopMessage {
  readonly type: 'stop'
}

export function isResourceSample(value: unknown): value is ResourceSample {
  return typeof value === 'object' && value !== null && (value as { type?: unknown }).type === 'sample'
}

export function isBatonReport(value: unknown): value is BatonReport {
  return typeof value === 'object' && value !== null && (value as { type?: unknown }).type === 'report'
}

export function isStopMessage(value: unknown): value is StopMessage {
  return typeof value === 'object' && value !== null && (value as { type?: unknown }).type === 'stop'
}
