/**
 * The one message a bench child process sends its parent over the fork IPC channel: the URLs it bound.
 * Child side only; the parent side is children.ts.
 */
export interface ReadyMessage {
  readonly type: 'ready'
  readonly urls: readonly string[]
}

/**
 * Tells the parent the child is listening, and ties the child's life to the parent's: when the IPC
 * channel closes (parent exited, even by SIGKILL) the child exits too, so no bench process is orphaned.
 */
export function reportReady(urls: readonly string[]): void {
  if (process.send === undefined) throw new Error('bench child started without an IPC channel (run it via fork)')
  process.on('disconnect', () => process.exit(0))
  const message: ReadyMessage = { type: 'ready', urls }
  process.send(message)
}

export function isReadyMessage(value: unknown): value is ReadyMessage {
  return typeof value === 'object' && value !== null && (value as { type?: unknown }).type === 'ready'
}
