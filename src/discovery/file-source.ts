import { watch, type FSWatcher } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { basename, dirname } from 'node:path'
import { parseEndpointList } from '../config/endpoint-list.js'
import type { FileDiscoveryConfig } from '../config/types.js'
import type { Timers } from './schedule.js'
import { DiscoveryError, type Discovered, type EndpointSource } from './source.js'

/** A burst of change events (truncate, write, rename) is read once, this long after the last of them, ms. */
const SETTLE_MS = 50

/**
 * discovery.file: a JSON or YAML list of endpoints, as `endpoints:` takes them, validated with the config's
 * endpoint schema (config/endpoint-list.ts: errors name the entry, line and column). The folder is watched
 * (fs.watch on the folder, so an editor's or a deploy tool's rename-into-place is seen too) and the file is
 * polled as well, for file systems where watching misses changes. Text that did not change since the last
 * read gives the last outcome again without parsing. Write the file atomically (write a temporary file and
 * rename it) so no read sees half of it; a half-written file is only a failed read, and the next one fixes it.
 */
export class FileSource implements EndpointSource {
  private watcher: FSWatcher | null = null
  private settle: unknown = null
  private last: { readonly text: string; readonly outcome: Discovered | DiscoveryError } | null = null

  constructor(
    private readonly config: FileDiscoveryConfig,
    private readonly timers: Timers,
  ) {}

  async read(): Promise<Discovered> {
    let text: string
    try {
      text = await readFile(this.config.path, 'utf8')
    } catch (err) {
      throw new DiscoveryError(`cannot read ${this.config.path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
    }
    if (this.last === null || this.last.text !== text) this.last = { text, outcome: this.parse(text) }
    if (this.last.outcome instanceof DiscoveryError) throw this.last.outcome
    return this.last.outcome
  }

  watch(changed: () => void): void {
    const name = basename(this.config.path)
    try {
      this.watcher = watch(dirname(this.config.path), { persistent: false }, (_event, filename) => {
        if (filename !== null && filename !== name) return
        if (this.settle !== null) this.timers.clear(this.settle)
        this.settle = this.timers.set(() => {
          this.settle = null
          changed()
        }, SETTLE_MS)
      })
      this.watcher.on('error', () => this.unwatch()) // the folder went away: the poll goes on
    } catch {
      this.watcher = null // no folder, or no watching here: the poll alone
    }
  }

  close(): void {
    this.unwatch()
  }

  private unwatch(): void {
    if (this.settle !== null) this.timers.clear(this.settle)
    this.settle = null
    this.watcher?.close()
    this.watcher = null
  }

  private parse(text: string): Discovered | DiscoveryError {
    try {
      return { endpoints: parseEndpointList(text, this.config.path, this.config.format), ttlMs: null }
    } catch (err) {
      return new DiscoveryError((err as Error).message)
    }
  }
}
