/** The IPC conversation between run.ts (parent) and backend-host.ts (the child hosting one scenario's backends). */
import type { ReadyMessage } from '../lib/ipc.js'

/** Parent → child. */
export type ControlMessage =
  /** Time 0 of the scripts: the measured load begins. */
  | { readonly type: 'start' }
  /** Report and exit. */
  | { readonly type: 'stop' }

/** Child → parent. */
export type HostMessage =
  /** Sent by bench/lib's reportReady once every backend listens. */
  | ReadyMessage
  /** Event-loop utilisation 0..1 of the child from 'start' to 'stop'. */
  | { readonly type: 'stopped'; readonly eventLoopUtilization: number }

/** argv of the child after the script path, in order. */
export interface HostArgs {
  readonly scenario: string
  readonly durationMs: number
  readonly seed: number
}

export function hostArgv(args: HostArgs): string[] {
  return [args.scenario, String(args.durationMs), String(args.seed)]
}

export function parseHostArgv(argv: readonly string[]): HostArgs {
  const [scenario = '', durationMs = '', seed = ''] = argv
  return { scenario, durationMs: Number(durationMs), seed: Number(seed) }
}
