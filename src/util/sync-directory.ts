import { open, type FileHandle } from 'node:fs/promises'

/**
 * fsync of a folder, so a rename or a new file in it survives a crash (Linux, macOS). Skipped where the platform
 * refuses to open or sync a folder (Windows: EISDIR/EPERM; some file systems: EINVAL); other errors are thrown.
 */
export async function syncDirectory(dir: string): Promise<void> {
  let handle: FileHandle | undefined
  try {
    handle = await open(dir, 'r')
    await handle.sync()
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EINVAL') throw err
  } finally {
    await handle?.close()
  }
}
