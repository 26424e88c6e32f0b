import { setTimeout as sleep } from 'node:timers/promises'
import { Agent } from 'undici'
import type { Rng } from '../../src/util/rng.js'
import { REQUEST_KINDS, type RequestKind } from './request-kinds.js'
import type { Tally } from './tally.js'

export interface LoadOptions {
  readonly baseUrl: string
  /** Workers stop starting requests this long after the load began, ms. */
  readonly durationMs: number
  /** Closed-loop clients, each with one request in flight at a time. */
  readonly workers: number
  /** Pause between two requests of a worker, ms, uniform in 0..2× this. */
  readonly meanPauseMs: number
  readonly rng: Rng
  readonly tally: Tally
}

/**
 * Closed-loop mixed traffic: each worker sends one request of a kind drawn by weight, records how it ended,
 * pauses, and goes again until the duration is up. Bounded: a worker starts nothing after the deadline and
 * every request ends within the client's deadline (request-kinds.ts), so this resolves by
 * durationMs + CLIENT_TIMEOUT_MS. Closed loop on purpose: a soak looks for resources that outlive requests,
 * so it keeps the load steady instead of letting a stall pile requests up.
 */
export async function runLoad(options: LoadOptions): Promise<void> {
  // Keep-alive towards Baton; undici's default idle timeout (4 s, under the 5 s Baton advertises) closes
  // idle connections from this side, so no request races Baton closing one.
  const agent = new Agent({ connections: options.workers, pipelining: 1 })
  const ctx = { baseUrl: options.baseUrl, agent, rng: options.rng }
  const totalWeight = REQUEST_KINDS.reduce((sum, k) => sum + k.weight, 0)
  const deadline = Date.now() + options.durationMs
  const worker = async (): Promise<void> => {
    while (Date.now() < deadline) {
      const kind = draw(options.rng.next() * totalWeight)
      const [outcome, detail] = await kind.run(ctx)
      options.tally.record(kind.name, kind.method, outcome, detail)
      const pause = Math.min(2 * options.meanPauseMs * options.rng.next(), deadline - Date.now())
      if (pause > 0) await sleep(pause)
    }
  }
  try {
    await Promise.all(Array.from({ length: options.workers }, worker))
  } finally {
    await agent.close()
  }
}

/** The kind whose cumulative weight first exceeds `point`. */
function draw(point: number): RequestKind {
  let acc = 0
  for (const kind of REQUEST_KINDS) {
    acc += kind.weight
    if (point < acc) return kind
  }
  return REQUEST_KINDS[REQUEST_KINDS.length - 1]
}
