import t from 'tap'
import { parseDuration, parseSize } from '../../../src/config/units.js'

/** Input → milliseconds, or the message when it is refused. */
const DURATIONS: [unknown, number | string][] = [
  [250, 250],
  [0, 0],
  ['250ms', 250],
  ['5s', 5_000],
  ['1.5s', 1_500],
  ['1.1s', 1_100], // 1.1 × 1000 is 1100.0000000000002 in floating point: rounded
  ['2m', 120_000],
  ['1h', 3_600_000],
  [' 10 S ', 10_000],
  ['1.5ms', 2], // whole ms: Node's timers and server options take integers
  ['30', 30],
  [-5, 'expected a duration like 250ms, 5s, 2m or 1h, got -5'],
  ['5 parsecs', 'expected a duration like 250ms, 5s, 2m or 1h, got "5 parsecs"'],
  ['1d', 'expected a duration like 250ms, 5s, 2m or 1h, got "1d"'],
  ['-1s', 'expected a duration like 250ms, 5s, 2m or 1h, got "-1s"'],
  [true, 'expected a duration like 250ms, 5s, 2m or 1h, got boolean'],
  [[1], 'expected a duration like 250ms, 5s, 2m or 1h, got a list'],
  [null, 'expected a duration like 250ms, 5s, 2m or 1h, got null'],
]

/** Input → bytes, or the message when it is refused. */
const SIZES: [unknown, number | string][] = [
  [16_384, 16_384],
  ['512', 512],
  ['512b', 512],
  ['16KiB', 16_384],
  ['16kib', 16_384],
  ['16kb', 16_000],
  ['1MiB', 1_048_576],
  ['1MB', 1_000_000],
  ['1GiB', 1_073_741_824],
  ['1.5KiB', 1_536],
  ['16 KB', 16_000],
  ['16KiBs', 'expected a size like 16384, 16KiB or 1MiB, got "16KiBs"'],
  [Infinity, 'expected a size like 16384, 16KiB or 1MiB, got Infinity'],
  [{}, 'expected a size like 16384, 16KiB or 1MiB, got a mapping'],
]

function outcome(parsed: ReturnType<typeof parseDuration>): number | string {
  return parsed.ok ? parsed.value : parsed.message
}

t.test('durations', async (t) => {
  for (const [input, expected] of DURATIONS) t.equal(outcome(parseDuration(input)), expected, JSON.stringify(input))
})

t.test('sizes', async (t) => {
  for (const [input, expected] of SIZES) t.equal(outcome(parseSize(input)), expected, String(input))
})
