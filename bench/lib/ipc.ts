/**
 * Messages between a bench child process and its parent over the fork IPC channel: the ready message
 * (the URLs it bound), and the CPU-time question a contender answers where the parent cannot read
 * /proc/<pid>/stat (see cpu.ts). Child side here; the parent side is children.ts.
 */
export interface ReadyMessage {
  readonly type: 'ready'
  readonly urls: readonly string[]
  /** What the child chose to run, when that is not implied by its name (baton-base's config); absent otherwise. */
  readonly note?: string
}

/** Parent → contender: "send me your process.cpuUsage()". */
export interface CpuRequest {
  readonly type: 'cpu?'
}

/** Contender → parent: its process.cpuUsage(), µs since it started. */
export interface CpuAnswer {
  readonly type: 'cpu'
  readonly userUs: number
  readonly systemUs: number
}

/**
 * Tells the parent the child is listening, and ties the child's life to the parent's: when the IPC
 * channel closes (parent exited, even by SIGKILL) the child exits too, so no bench process is orphaned.
 */
export function reportReady(urls: readonly string[], note?: string): void {
  if (process.send === undefined) throw new Error('bench child started without an IPC channel (run it via fork)')
  process.on('disconnect', () => process.exit(0))
  const message: ReadyMessage = note === undefined ? { type: 'ready', urls } : { type: 'ready', urls, note }
  process.send(message)
}

/** Child side: answer every CpuRequest with this process's CPU time. */
export function answerCpuRequests(): void {
  process.on('message', (message) => {
    if (!isCpuRequest(message) || process.send === undefined) return
    const { user, system } = process.cpuUsage()
    const answer: CpuAnswer = { type: 'cpu', userUs: user, systemUs: system }
    process.send(answer)
  })
}

export function isReadyMessage(value: unknown): value is ReadyMessage {
  return typeof value === 'object' && value !== null && (value as { type?: unknown }).type === 'ready'
}

export function isCpuRequest(value: unknown): value is CpuRequest {
  return typeof value === 'object' && value !== null && (value as { type?: unknown }).type === 'cpu?'
}

export function isCpuAnswer(value: unknown): value is CpuAnswer {
  return typeof value === 'object' && value !== null && (value as { type?: unknown }).type === 'cpu'
}
