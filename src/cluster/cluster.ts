import { Balancer } from '../balancer/balancer.js'
import { createPolicy } from '../balancer/policy-factory.js'
import type { Outcome, PickContext } from '../balancer/types.js'
import type { RetryConfig, UpstreamConfig } from '../config/types.js'
import { RetryBudget } from '../overload/retry-budget.js'
import type { Clock } from '../util/clock.js'
import type { Rng } from '../util/rng.js'
import { UpstreamEndpoint } from './upstream-endpoint.js'

/**
 * One upstream: its endpoints with their pools and statistics, and the balancer choosing among the
 * available ones. Built once per config snapshot; every endpoint is available until health checks exist.
 */
export class Cluster {
  readonly name: string
  readonly policy: string
  readonly endpoints: readonly UpstreamEndpoint[]
  readonly balancer: Balancer<UpstreamEndpoint>
  /** Whether the Host header is replaced by the endpoint's host:port. */
  readonly rewriteHost: boolean
  readonly retry: RetryConfig
  readonly retryBudget: RetryBudget
  /** Reused for retry picks: picks never overlap on this thread. */
  private readonly retryContext: PickContext = { hashKey: 0, attempt: 0, exclude: -1 }

  constructor(config: UpstreamConfig, deps: { clock: Clock; rng: Rng }) {
    this.name = config.name
    this.policy = config.policy.name
    this.rewriteHost = config.rewriteHost
    this.retry = config.retry
    this.retryBudget = new RetryBudget(config.retry.budgetPercent, config.retry.budgetMinConcurrent)
    const startMs = deps.clock.now()
    this.endpoints = config.endpoints.map((e, i) => new UpstreamEndpoint(i, e, config, startMs))
    this.balancer = new Balancer<UpstreamEndpoint>(createPolicy(config.policy, deps))
    this.balancer.setAvailable(this.endpoints)
  }

  /** An endpoint for attempt number `attempt` (1 for the first retry), avoiding the one that failed. */
  pickRetry(failedIndex: number, attempt: number): UpstreamEndpoint | null {
    this.retryContext.exclude = failedIndex
    this.retryContext.attempt = attempt
    return this.balancer.pick(this.retryContext)
  }

  /** How an attempt went: feeds the policy. */
  observe(e: UpstreamEndpoint, latencyMs: number, status: number, outcome: Outcome, nowMs: number): void {
    this.balancer.observe(e, latencyMs, status, outcome, nowMs)
  }

  /** Periodic work off the hot path: policy decay and refits. */
  tick(nowMs: number): void {
    this.balancer.tick(nowMs)
  }

  /** Starts a new statistics interval on every endpoint. */
  rollover(nowMs: number): void {
    for (let i = 0; i < this.endpoints.length; i++) this.endpoints[i].stats.rollover(nowMs)
  }

  async close(graceMs: number): Promise<void> {
    await Promise.all(this.endpoints.map((e) => e.close(graceMs)))
  }
}
