import type { Cluster } from '../cluster/cluster.js'
import type { ClusterEndpoint } from '../cluster/cluster-endpoint.js'
import type { DebugConfig } from '../config/types.js'
import type { BatonResponse } from '../forward/baton-response.js'
import type { ExchangeListener, ProxyExchange } from '../forward/proxy-exchange.js'
import type { DecisionCapture } from '../server/request-handler.js'
import type { Rng } from '../util/rng.js'
import { formatDecisionHeader, traceDecision, type DecisionTrace } from './decision-trace.js'

/** Where decision log lines go (a DecisionLogFile in production). */
export interface DecisionSink {
  write(line: string): void
}

/** The response header that carries the explanation (asked for by upstream/request-headers.ts DEBUG_REQUEST_HEADER). */
export const DECISION_RESPONSE_HEADER = 'x-baton-decision'

/**
 * Captures the balancer's decision for the requests that want it: those with `x-baton-debug: 1` when
 * decision headers are enabled (the explanation goes into an `x-baton-decision` response header), and a
 * random `sampleRate` of all requests when the decision log is on (the trace waits on the response until
 * the exchange ends, then one JSON line is written with the observed latency and status).
 * Only installed when one of the two is configured; a request that wants neither costs one rng draw.
 */
export class DecisionRecorder implements ExchangeListener, DecisionCapture {
  private readonly sampleRate: number

  constructor(
    private readonly config: DebugConfig,
    private readonly rng: Rng,
    private readonly sink: DecisionSink | null,
    /** Wall clock, ms since the epoch: each line's timeMs. */
    private readonly wallClock: () => number,
  ) {
    this.sampleRate = config.decisionLog === null || sink === null ? 0 : config.decisionLog.sampleRate
  }

  /**
   * Right after the first pick for a request, before any other pick on this thread (the policy keeps only its
   * last); `debugHeader` is the request's x-baton-debug value, or null.
   */
  capture(debugHeader: string | null, res: BatonResponse, cluster: Cluster, chosen: ClusterEndpoint): void {
    const header = this.config.decisionHeaders && debugHeader === '1'
    const logged = this.sampleRate > 0 && this.rng.next() < this.sampleRate
    if (!header && !logged) return
    const trace = traceDecision(cluster.name, cluster.balancer.policy, chosen, cluster.balancer.availableCount(), cluster.endpoints)
    if (header) res.setHeader(DECISION_RESPONSE_HEADER, formatDecisionHeader(trace))
    if (logged) res.decision = trace
  }

  onExchangeEnd(exchange: ProxyExchange): void {
    const trace = exchange.res.decision as DecisionTrace | null
    if (trace === null || this.sink === null) return
    exchange.res.decision = null
    const outcome = {
      timeMs: this.wallClock(),
      ...trace,
      servedBy: exchange.endpoint.id,
      retries: exchange.retries,
      latencyMs: exchange.latencyMs,
      status: exchange.status,
      error: exchange.errorCode,
    }
    this.sink.write(`${JSON.stringify(outcome)}\n`)
  }
}
