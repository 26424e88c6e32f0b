import type { ScalingConfig } from '../config/types.js'
import type { Logger } from '../util/logger.js'
import { CommandHook } from './command-hook.js'
import { ScalingWebhook, type RetryScheduler } from './webhook.js'
import { UpstreamScaling, type ScalingChange } from './upstream-scaling.js'

/** The 'scaling' event as the EventLog stores it (health/event-log.ts HealthEvent; EventLog satisfies the sink). */
export interface ScalingEvent {
  readonly timeMs: number
  readonly upstream: string
  readonly endpoint: ''
  readonly kind: 'scaling'
  readonly cause: string
  readonly data: Readonly<Record<string, number | string>>
}

export interface ScalingDeps {
  /** Wall clock, ms since the epoch: event times, the webhook's signed timestamp. */
  wallClock: () => number
  events: { push(event: ScalingEvent): void }
  logger: Logger
  scheduler?: RetryScheduler
}

interface Entry {
  scaling: UpstreamScaling
  config: ScalingConfig
  webhook: ScalingWebhook | null
  command: CommandHook | null
}

/**
 * Every upstream's scaling signal by name, so the forecast, samplers and published count outlive the Cluster
 * a config reload replaces; and what a change does: a 'scaling' event, the webhook, the command.
 */
export class ScalingRegistry {
  private readonly entries = new Map<string, Entry>()

  constructor(private readonly deps: ScalingDeps) {}

  /** The upstream's signal, created on first use; a reload's config replaces the hooks when they changed. */
  forUpstream(name: string, config: ScalingConfig): UpstreamScaling {
    let entry = this.entries.get(name)
    if (entry === undefined) {
      const scaling = new UpstreamScaling(name, config, (change) => this.changed(change))
      entry = { scaling, config, webhook: null, command: null }
      this.entries.set(name, entry)
      this.hooks(entry, config)
    } else if (entry.config !== config) {
      entry.scaling.configure(config)
      this.hooks(entry, config)
    }
    return entry.scaling
  }

  /** Ends retries and queued commands (shutdown). */
  close(): void {
    for (const entry of this.entries.values()) {
      entry.webhook?.close()
      entry.command?.close()
    }
  }

  private hooks(entry: Entry, config: ScalingConfig): void {
    const old = entry.config
    const name = entry.scaling.name
    const sameWebhook = entry.webhook !== null && old.webhook !== null && config.webhook !== null && JSON.stringify(old.webhook) === JSON.stringify(config.webhook) && old.webhook.secret === config.webhook.secret
    if (!sameWebhook) {
      entry.webhook?.close()
      entry.webhook =
        config.webhook === null
          ? null
          : new ScalingWebhook(config.webhook, {
              wallClock: this.deps.wallClock,
              scheduler: this.deps.scheduler,
              onResult: (r) => {
                if (!r.ok) this.deps.logger.warn({ upstream: name, attempts: r.attempts, status: r.status, error: r.error }, 'scaling webhook failed')
              },
            })
    }
    const sameCommand = entry.command !== null && JSON.stringify([old.command, old.commandTimeoutMs]) === JSON.stringify([config.command, config.commandTimeoutMs])
    if (!sameCommand) {
      entry.command?.close()
      entry.command =
        config.command === null
          ? null
          : new CommandHook(config.command, config.commandTimeoutMs, (r) => {
              if (!r.ok) this.deps.logger.warn({ upstream: name, code: r.code, error: r.error }, 'scaling command failed')
            })
    }
    entry.config = config
  }

  private changed(change: ScalingChange): void {
    const s = change.snapshot
    const count = s.recommendedEndpoints!
    const perEndpoint = s.capacityRpsPerEndpoint!
    const cause =
      `recommend ${count} endpoint(s) (now ${s.currentEndpoints}): ${round(s.forecastRps!)} rps forecast in ${s.horizonMs / 1_000} s, ` +
      `${round(perEndpoint)} rps each at p99 ≤ ${s.targetP99Ms} ms, +${s.headroomPercent}% headroom`
    this.deps.events.push({
      timeMs: this.deps.wallClock(),
      upstream: change.upstream,
      endpoint: '',
      kind: 'scaling',
      cause,
      data: {
        recommended: count,
        previous: change.previous ?? -1,
        current: s.currentEndpoints,
        desired: round(s.desiredEndpoints!),
        rps: round(s.rps!),
        forecastRps: round(s.forecastRps!),
        capacityRps: round(perEndpoint),
        targetP99Ms: s.targetP99Ms,
        horizonMs: s.horizonMs,
      },
    })
    const entry = this.entries.get(change.upstream)
    if (entry === undefined) return
    const payload = { upstream: change.upstream, previousEndpoints: change.previous, time: new Date(this.deps.wallClock()).toISOString(), ...s, recommendedEndpoints: count }
    entry.webhook?.send(payload)
    entry.command?.send(payload)
  }
}

/** Two decimals: events and logs are for people. */
function round(x: number): number {
  return Math.round(x * 100) / 100
}
