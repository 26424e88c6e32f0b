import { parseArgs } from 'node:util'

/** Command-line settings shared by the load benches. */
export interface BenchArgs {
  /** Measured run per contender, seconds. */
  readonly durationSec: number
  /** Discarded run before each measured one (JIT, pools, keep-alive sockets), seconds. */
  readonly warmupSec: number
  /** Concurrent client connections, each with one request in flight. */
  readonly connections: number
  /** Print one JSON document instead of the table (for generating README numbers). */
  readonly json: boolean
}

export const USAGE = 'usage: throughput [--duration 10] [--warmup 2] [--connections 50] [--json]'

export function parseBenchArgs(argv: readonly string[]): BenchArgs {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: {
      duration: { type: 'string', default: '10' },
      warmup: { type: 'string', default: '2' },
      connections: { type: 'string', default: '50' },
      json: { type: 'boolean', default: false },
    },
  })
  return {
    durationSec: positiveInt('duration', values.duration),
    warmupSec: positiveInt('warmup', values.warmup),
    connections: positiveInt('connections', values.connections),
    json: values.json,
  }
}

function positiveInt(flag: string, text: string): number {
  const n = Number(text)
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${flag} must be a positive integer, got "${text}"`)
  return n
}
