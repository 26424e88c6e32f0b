import { carrySlots } from '../util/carry-over.js'

/**
 * Early release from an ejection for gateway errors (connect failures, resets, timeouts): `rise` consecutive
 * passing active checks since that ejection, with the active state healthy, end it, because the checks saw
 * the fault go away and the endpoint need not sit out the rest of its backoff (Envoy's
 * successful_active_health_check_uneject_host, which unejects on one pass; `rise` confirms it, as for any
 * recovery). Other ejections stand: a passing health path says nothing about a 5xx rate or a latency outlier
 * on real traffic. Built when active checks are configured, or else for the recovery probes
 * (recovery-prober.ts), which count through probed() with `rise` = recovery.passes.
 */
export class GatewayEjectionRelease {
  /** Whether each endpoint's latest ejection was for gateway errors. */
  private readonly gateway: Uint8Array
  /** Consecutive passing checks since each endpoint's latest ejection. */
  private readonly passes: Uint32Array
  /**
   * Whether a connect that succeeds is evidence of recovery: the ejection's last gateway error was a refused
   * connect, or a probe during this ejection failed (the port closed: a restart). A backend that hangs or
   * resets while listening accepts connects all along, so for it only a probe's GET (recovery.path) counts.
   */
  private readonly connectProves: Uint8Array

  constructor(
    n: number,
    /** Passes that confirm a recovery (the active checks' `rise`). */
    private readonly rise: number,
  ) {
    this.gateway = new Uint8Array(n)
    this.passes = new Uint32Array(n)
    this.connectProves = new Uint8Array(n)
  }

  /** After a reload: endpoints that stayed keep why they were ejected and the passes counted since. */
  adopt(previous: GatewayEjectionRelease, from: Int32Array): void {
    carrySlots(previous.gateway, this.gateway, from)
    carrySlots(previous.passes, this.passes, from)
    carrySlots(previous.connectProves, this.connectProves, from)
  }

  /** Endpoint i was just ejected; `forGatewayErrors` says why, `refused` whether its last failure was a refused connect. */
  ejected(i: number, forGatewayErrors: boolean, refused = false): void {
    this.gateway[i] = forGatewayErrors ? 1 : 0
    this.passes[i] = 0
    this.connectProves[i] = refused ? 1 : 0
  }

  /**
   * After one of i's recovery probes while watching it: true when the ejection should end now. A pass of the
   * connect alone (`connectOnly`) counts only when a connect proves recovery (see connectProves).
   */
  probed(i: number, passed: boolean, connectOnly: boolean): boolean {
    if (!passed) {
      this.passes[i] = 0
      this.connectProves[i] = 1
      return false
    }
    if (connectOnly && this.connectProves[i] === 0) return false
    return ++this.passes[i] >= this.rise
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
