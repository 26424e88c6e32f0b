import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'

/** Command-line settings shared by the load benches. */
export interface BenchArgs {
  /** Measured run per contender per round, seconds. */
  readonly durationSec: number
  /** Discarded run before each measured one (JIT, pools, keep-alive sockets), seconds. */
  readonly warmupSec: number
  /** Concurrent client connections, each with one request in flight. */
  readonly connections: number
  /** Interleaved rounds: each runs every contender once; the table shows the median over rounds. */
  readonly rounds: number
  /**
   * Absolute path of another checkout's compiled `dist/` folder (the "before" of a before/after), run as the
   * extra contender `baton-base`; null without --baseline-dist.
   */
  readonly baselineDist: string | null
  /** Print one JSON document instead of the table (for generating README numbers). */
  readonly json: boolean
  /**
   * --contenders a,b,c: run only these (names as printed in the table, in this order for round 1); null runs
   * every default contender. throughput.ts checks the names.
   */
  readonly contenders: readonly string[] | null
}

export const USAGE =
  'usage: throughput [--duration 5] [--warmup 3] [--connections 50] [--rounds 3] [--contenders a,b,c] [--baseline-dist <checkout>/dist] [--json]'

export function parseBenchArgs(argv: readonly string[]): BenchArgs {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: {
      duration: { type: 'string', default: '5' },
      warmup: { type: 'string', default: '3' },
      connections: { type: 'string', default: '50' },
      rounds: { type: 'string', default: '3' },
      'baseline-dist': { type: 'string' },
      contenders: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  })
  return {
    durationSec: positiveInt('duration', values.duration),
    warmupSec: positiveInt('warmup', values.warmup),
    connections: positiveInt('connections', values.connections),
    rounds: positiveInt('rounds', values.rounds),
    baselineDist: values['baseline-dist'] === undefined ? null : baselineDist(values['baseline-dist']),
    json: values.json,
    contenders: values.contenders === undefined ? null : contenderList(values.contenders),
  }
}

/** "a, b,c" → ["a", "b", "c"]: at least one name, none twice. */
function contenderList(text: string): string[] {
  const names = text.split(',').map((s) => s.trim()).filter((s) => s.length > 0)
  if (names.length === 0) throw new Error('--contenders needs at least one name')
  const twice = names.find((n, i) => names.indexOf(n) !== i)
  if (twice !== undefined) throw new Error(`--contenders names ${twice} twice`)
  return names
}

function positiveInt(flag: string, text: string): number {
  const n = Number(text)
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${flag} must be a positive integer, got "${text}"`)
  return n
}

/** The dist folder of a built checkout: it must hold src/index.js (Baton's entry), else the run would be half wasted. */
function baselineDist(text: string): string {
  const dir = resolve(text)
  if (!existsSync(resolve(dir, 'src/index.js'))) {
    throw new Error(`--baseline-dist ${text}: no src/index.js under ${dir} (give the dist folder of a checkout built with npx tsc)`)
  }
  return dir
}
