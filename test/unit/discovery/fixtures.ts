import type { DiscoveryConfig, DnsDiscoveryConfig, EndpointConfig } from '../../../src/config/types.js'
import type { Timers } from '../../../src/discovery/schedule.js'
import type { Discovered, EndpointSource } from '../../../src/discovery/source.js'
import type { DiscoverySink } from '../../../src/discovery/upstream-discovery.js'
import { ManualClock } from '../../../src/util/clock.js'

/** Timers on a manual clock: advance() fires what is due, in order, and lets the promises it starts settle. */
export class ManualTimers implements Timers {
  readonly clock = new ManualClock(0)
  private nextId = 1
  private readonly due = new Map<number, { at: number; run: () => void }>()

  set(run: () => void, delayMs: number): unknown {
    const id = this.nextId++
    this.due.set(id, { at: this.clock.now() + delayMs, run })
    return id
  }

  clear(handle: unknown): void {
    this.due.delete(handle as number)
  }

  /** Delays (from now) of the timers pending, soonest first. */
  pending(): number[] {
    return [...this.due.values()].map((d) => d.at - this.clock.now()).sort((a, b) => a - b)
  }

  async advance(ms: number): Promise<void> {
    const until = this.clock.now() + ms
    for (;;) {
      const next = [...this.due.entries()].sort((a, b) => a[1].at - b[1].at)[0]
      if (next === undefined || next[1].at > until) break
      this.due.delete(next[0])
      this.clock.set(next[1].at)
      next[1].run()
      await settle()
    }
    this.clock.set(until)
    await settle()
  }
}

/** Lets every promise already resolved run its continuations. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r))
}

/** What the next read gives: endpoints (with an optional TTL, ms), or an error. */
export type Script = { endpoints: EndpointConfig[]; ttlMs?: number } | Error

/** A source reading from a script the test changes; counts reads; its watch callback is exposed. */
export class ScriptedSource implements EndpointSource {
  next: Script = { endpoints: [] }
  reads = 0
  closed = false
  changed: (() => void) | null = null
  /** When set, reads wait for this before answering. */
  gate: Promise<void> | null = null

  async read(): Promise<Discovered> {
    this.reads++
    if (this.gate !== null) await this.gate
    const script = this.next
    if (script instanceof Error) throw script
    return { endpoints: script.endpoints, ttlMs: script.ttlMs ?? null }
  }

  watch(changed: () => void): void {
    this.changed = changed
  }

  close(): void {
    this.closed = true
  }
}

/** A sink recording what it is handed; `accept` says whether applies succeed. */
export class RecordingSink implements DiscoverySink {
  readonly applied: { upstream: string; ids: string[] }[] = []
  readonly failures: { upstream: string; error: string; kept: number }[] = []
  accept = true

  async apply(upstream: string, endpoints: readonly EndpointConfig[]): Promise<boolean> {
    this.applied.push({ upstream, ids: endpoints.map((e) => e.id) })
    return this.accept
  }

  failed(upstream: string, _source: DiscoveryConfig, error: string, kept: number): void {
    this.failures.push({ upstream, error, kept })
  }
}

export function ep(id: string, weight = 1): EndpointConfig {
  return { id, url: `http://${id}`, weight }
}

export const DNS: DnsDiscoveryConfig = { kind: 'dns', name: 'api.test', port: 8080, intervalMs: 10_000, family: 'any', resolver: '127.0.0.1:5353', scheme: 'http' }
