import { STATUS_CODES } from 'node:http'
import type { Duplex } from 'node:stream'
import type { Dispatcher } from 'undici'
import type { Cluster } from '../cluster/cluster.js'
import type { ClusterEndpoint } from '../cluster/cluster-endpoint.js'
import type { Clock } from '../util/clock.js'
import { Outcome } from '../util/outcome.js'
import { rawErrorResponse } from '../util/raw-response.js'
import { classifyUpstreamError, FAILURES, type Failure } from './error-mapping.js'
import { REJECTIONS } from './request-rejections.js'
import { buildClientHeaders } from './response-headers.js'
import { Tunnel } from './tunnel.js'

/** Told once when an upgrade is over: its handshake failed, a non-101 answer was forwarded, or its tunnel closed. */
export interface UpgradeOwner {
  onUpgradeEnd(exchange: UpgradeExchange): void
}

/** What every upgrade of one listener shares. */
export interface UpgradeEnv {
  readonly clock: Clock
  /** This proxy's Via entry, appended to the response's Via. */
  readonly viaEntry: string
  readonly owner: UpgradeOwner
}

/** Shutting down: a handshake still waiting is stopped; nobody's failure, so it counts against no endpoint. */
const SHUTDOWN: Failure = { error: REJECTIONS.tunnelsClosing, outcome: Outcome.ClientAbort }

/** After an answer that ends the connection, how long the client may take to close its side, ms. */
const CLOSE_WAIT_MS = 5_000

type Phase = 'handshake' | 'response' | 'tunnel' | 'done'

/**
 * One WebSocket upgrade, from the screened handshake to the end of its tunnel. It is undici's dispatch options and
 * its handler in one object (as UpstreamAttempt is), dispatched once on the endpoint's pool with `upgrade:
 * 'websocket'`: undici writes the request head with the upstream header list (hop-by-hop fields stripped,
 * X-Forwarded-* and Via added: request-headers.ts) plus `connection: upgrade` and `upgrade: websocket`, over a
 * connection of the pool (TLS and its verification included), and gives the socket up at the 101.
 *
 * Until the backend answers, the client's socket is not read: no byte it sent after its head (`clientHead`,
 * held) goes anywhere. A 101 is passed on (its hop-by-hop fields stripped, Connection and Upgrade re-added, Via
 * appended), then the held bytes, then the Tunnel pipes both ways. Any other answer is forwarded as an ordinary
 * response with Connection: close and the connection ends after it: it never becomes a tunnel. A failure before
 * any answer gets the same JSON error an ordinary request would (502 for a refused connect, 504 for a timeout).
 *
 * The upgrade counts in the endpoint's in-flight requests from dispatch to the tunnel's close, and in its
 * `tunnels` while the tunnel is open. Observations go through the cluster like any request's: the handshake's
 * latency and status, or its failure (a refused connect is a connect failure for health); nothing that happens
 * inside a tunnel is ever an observation, since a long-lived connection says nothing about response latency.
 */
export class UpgradeExchange implements Dispatcher.DispatchOptions {
  readonly method = 'GET'
  readonly upgrade = 'websocket'
  readonly body = null
  phase: Phase = 'handshake'
  /** Status the client got; 0 until then. */
  status = 0
  private startMs = 0
  private latencyMs = -1
  private abortUpstream: ((reason: Error) => void) | null = null
  private resumeUpstream: (() => void) | null = null
  private cancelled: Failure | null = null
  private tunnel: Tunnel | null = null
  private clientGone = false

  constructor(
    private readonly client: Duplex,
    /** Bytes the client sent after its request head, held until the 101. */
    private readonly clientHead: Buffer,
    readonly cluster: Cluster,
    readonly endpoint: ClusterEndpoint,
    readonly path: string,
    /** The upstream header list, Host last (request-headers.ts). */
    readonly headers: string[],
    private readonly env: UpgradeEnv,
  ) {}

  /** Sends the handshake to the endpoint. */
  start(): void {
    this.endpoint.inflight++
    this.startMs = this.env.clock.now()
    this.client.on('error', ignore) // Node removed its own listener when it handed the socket over
    this.client.on('close', this.onClientClose)
    this.endpoint.pool.dispatch(this, this)
  }

  /** Shutdown: a waiting handshake gets 503, a forwarded answer or an open tunnel is cut. */
  close(): void {
    switch (this.phase) {
      case 'handshake':
        return this.cancel(SHUTDOWN)
      case 'response':
        this.client.destroy()
        return
      case 'tunnel':
        this.tunnel!.destroy()
    }
  }

  // ---- undici's dispatch handler

  onConnect(abort: (reason: Error) => void): void {
    this.abortUpstream = abort
    if (this.cancelled !== null) abort(this.cancelled.error)
  }

  /** A final answer other than 101: forwarded as a response that ends the connection. */
  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void, statusText: string): boolean {
    if (statusCode < 200) return true // interim answers are not forwarded
    this.observeHeaders(statusCode)
    if (this.clientGone) return true
    this.phase = 'response'
    this.status = statusCode
    this.resumeUpstream = resume
    this.client.on('drain', this.onClientDrain)
    const head = responseHead(statusCode, statusText, buildClientHeaders(rawHeaders, this.env.viaEntry), null)
    return this.client.write(head)
  }

  onData(chunk: Buffer): boolean {
    return this.clientGone || this.client.write(chunk)
  }

  onComplete(): void {
    this.cluster.observeBodyEnd(this.endpoint, this.latencyMs, this.status, Outcome.Success, null, this.env.clock.now())
    if (!this.clientGone) endThenClose(this.client)
    this.finish()
  }

  onError(err: Error): void {
    const failure = this.cancelled ?? classifyUpstreamError(err)
    const nowMs = this.env.clock.now()
    if (this.latencyMs < 0) {
      this.latencyMs = nowMs - this.startMs
      this.cluster.observeFailure(this.endpoint, this.latencyMs, failure.outcome, failure.error.code, nowMs)
      if (!this.clientGone) {
        this.status = failure.error.status
        answerAndClose(this.client, rawErrorResponse(failure.error.status, failure.error.code, failure.error.message))
      }
    } else {
      // A forwarded answer broke off mid-body: cut the client so it sees the truncation.
      this.cluster.observeBodyEnd(this.endpoint, this.latencyMs, this.status, failure.outcome, failure.error.code, nowMs)
      this.client.destroy()
    }
    this.finish()
  }

  /** The backend switched protocols: pass the 101 on, then the held bytes, then everything both ways. */
  onUpgrade(statusCode: number, rawHeaders: Buffer[] | string[] | null, backend: Duplex): void {
    this.observeHeaders(statusCode)
    this.cluster.observeBodyEnd(this.endpoint, this.latencyMs, statusCode, Outcome.Success, null, this.env.clock.now())
    if (this.clientGone || this.cancelled !== null) {
      backend.destroy()
      this.finish()
      return
    }
    this.phase = 'tunnel'
    this.status = statusCode
    const raw = (rawHeaders ?? []).map((h) => (typeof h === 'string' ? Buffer.from(h, 'latin1') : h))
    this.client.write(responseHead(statusCode, 'Switching Protocols', buildClientHeaders(raw, this.env.viaEntry), upgradeValue(raw)))
    this.client.off('close', this.onClientClose)
    this.endpoint.tunnels++
    this.tunnel = new Tunnel(this.client, backend, this.onTunnelClose)
    this.tunnel.open(this.clientHead)
  }

  // ----

  private observeHeaders(statusCode: number): void {
    const nowMs = this.env.clock.now()
    this.latencyMs = nowMs - this.startMs
    this.cluster.observeHeaders(this.endpoint, this.latencyMs, statusCode, nowMs)
  }

  private cancel(failure: Failure): void {
    if (this.cancelled !== null || this.phase === 'done') return
    this.cancelled = failure
    if (this.abortUpstream !== null) this.abortUpstream(failure.error) // undici calls onError before returning
  }

  /** The client left before the tunnel opened: the handshake is stopped (its failure is the client's). */
  private readonly onClientClose = (): void => {
    this.clientGone = true
    if (this.phase === 'handshake') this.cancel(FAILURES.clientAbort)
    else if (this.phase === 'response' && this.abortUpstream !== null) this.abortUpstream(FAILURES.clientAbort.error)
  }

  private readonly onClientDrain = (): void => {
    if (this.resumeUpstream !== null) this.resumeUpstream()
  }

  private readonly onTunnelClose = (): void => {
    this.endpoint.tunnels--
    this.finish()
  }

  private finish(): void {
    if (this.phase === 'done') return
    this.phase = 'done'
    this.endpoint.inflight--
    this.client.off('drain', this.onClientDrain)
    this.env.owner.onUpgradeEnd(this)
  }
}

/**
 * A response head for a socket Node no longer writes for: the status line, `headers` (hop-by-hop fields already
 * gone, Via appended), then either the protocol switch (`upgrade` non-null: Connection and Upgrade re-added) or
 * Connection: close, since nothing follows that answer on this connection.
 */
function responseHead(status: number, statusText: string, headers: readonly string[], upgrade: string | null): string {
  let head = `HTTP/1.1 ${status} ${statusText || STATUS_CODES[status] || ''}\r\n`
  for (let i = 0; i < headers.length; i += 2) head += `${headers[i]}: ${headers[i + 1]}\r\n`
  head += upgrade === null ? 'Connection: close\r\n\r\n' : `Connection: Upgrade\r\nUpgrade: ${upgrade}\r\n\r\n`
  return head
}

/** The protocol the backend switched to, as it named it; websocket when it named none. */
function upgradeValue(raw: readonly Buffer[]): string {
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i].length === 7 && raw[i].toString('latin1').toLowerCase() === 'upgrade') return raw[i + 1].toString('latin1')
  }
  return 'websocket'
}

/** Ends our side after what was written; the client closes its own (else it is cut after CLOSE_WAIT_MS). */
function endThenClose(client: Duplex): void {
  client.end()
  client.resume() // whatever it still sends is read and dropped, so no reset can destroy the answer in flight
  const timer = setTimeout(destroyIfOpen, CLOSE_WAIT_MS, client)
  client.once('close', () => clearTimeout(timer))
}

/** Writes a whole answer on a socket no ServerResponse owns, then ends the connection. */
export function answerAndClose(client: Duplex, bytes: string): void {
  if (!client.writable) {
    client.destroy()
    return
  }
  client.write(bytes)
  endThenClose(client)
}

function destroyIfOpen(client: Duplex): void {
  client.destroy()
}

function ignore(): void {}
