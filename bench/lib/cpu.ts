/**
 * CPU time of another process, seconds (user + system, all its threads: the event loop, V8's compiler
 * and GC threads, libuv's pool), read by the parent from /proc/<pid>/stat at the instant it asks, so the
 * measured process runs no extra code. /proc/<pid>/stat counts in clock ticks (CLK_TCK, 100 per second on
 * Linux): a 5 s window at one busy core is ~500 ticks, a 0.2 % resolution.
 */
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'

/** proc(5): after the ")" closing the command name, fields 3.. are space separated; utime is field 14, stime 15. */
const UTIME_AFTER_COMM = 14 - 3
const STIME_AFTER_COMM = 15 - 3

let ticksPerSecond: number | null = null

/** utime + stime of `pid` in seconds, or null where /proc is not available (not Linux, or the process is gone). */
export function procCpuSeconds(pid: number): number | null {
  let stat: string
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  } catch {
    return null
  }
  // The command name (field 2) is in parentheses and may hold spaces or ")": split after the last ")".
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  const ticks = Number(fields[UTIME_AFTER_COMM]) + Number(fields[STIME_AFTER_COMM])
  return Number.isFinite(ticks) ? ticks / clockTicks() : null
}

/** sysconf(_SC_CLK_TCK), which Node does not expose: `getconf CLK_TCK` once, 100 (Linux's USER_HZ) if that fails. */
function clockTicks(): number {
  if (ticksPerSecond === null) {
    try {
      const n = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim())
      ticksPerSecond = Number.isInteger(n) && n > 0 ? n : 100
    } catch {
      ticksPerSecond = 100
    }
  }
  return ticksPerSecond
}
