import { carrySlots } from '../util/carry-over.js'

/**
 * Early release from an ejection for gateway errors (connect failures, resets, timeouts): `rise` consecutive
 * passing active checks since that ejection, with the active state healthy, end it, because the checks saw
 * the fault go away and the endpoint need not sit out the rest of its backoff (Envoy's
 * successful_active_health_check_uneject_host, which unejects on one pass; `rise` confirms it, as for any
 * recovery). Other ejections stand: a passing health path says nothing about a 5xx rate or a latency outlier
 * on real traffic. Only built when active checks are configured.
 */
export class GatewayEjectionRelease {
  /** Whether each endpoint's latest ejection was for gateway errors. */
  private readonly gateway: Uint8Array
  /** Consecutive passing checks since each endpoint's latest ejection. */
  private readonly passes: Uint32Array

  constructor(
    n: number,
    /** Passes that confirm a recovery (the active checks' `rise`). */
    private readonly rise: number,
  ) {
    this.gateway = new Uint8Array(n)
    this.passes = new Uint32Array(n)
  }

  /** After a reload: endpoints that stayed keep why they were ejected and the passes counted since. */
  adopt(previous: GatewayEjectionRelease, from: Int32Array): void {
    carrySlots(previous.gateway, this.gateway, from)
    carrySlots(previous.passes, this.passes, from)
  }

  /** Endpoint i was just ejected; `forGatewayErrors` says why. */
  ejected(i: number, forGatewayErrors: boolean): void {
    this.gateway[i] = forGatewayErrors ? 1 : 0
    this.passes[i] = 0
  }

  /** i is ejected for gateway errors: its checks should run at the unhealthy interval, to see it recover sooner. */
  watching(i: number, ejected: boolean): boolean {
    return ejected && this.gateway[i] === 1
  }

  /** After one of i's checks while watching it: true when the ejection should end now. */
  checked(i: number, passed: boolean, healthy: boolean): boolean {
    if (!passed) {
      this.passes[i] = 0
      return false
    }
    return ++this.passes[i] >= this.rise && healthy
  }

  get passesToRelease(): number {
    return this.rise
  }
}
