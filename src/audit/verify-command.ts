import { trailFiles } from './audit-files.js'
import { describeVerify, verifyFiles } from './audit-verify.js'

/** The most rotated files a trail can keep (config/schema-audit.ts `keep`): how far --rotated looks. */
const MAX_ROTATED = 1_000

export interface VerifyCommandOptions {
  /** Also check FILE's rotated predecessors (FILE.N … FILE.1 before FILE), as one chain. */
  rotated?: boolean
}

/**
 * `baton audit verify FILE… [--rotated]`: checks the files as one hash chain, oldest first; prints
 * "N lines, chain intact" or the first broken line and why. Returns the exit code: 0 intact, 1 broken or
 * unreadable.
 */
export async function runVerify(files: readonly string[], options: VerifyCommandOptions, print: (text: string) => void): Promise<number> {
  try {
    const all = options.rotated === true && files.length === 1 ? await trailFiles(files[0], MAX_ROTATED) : files
    if (all.length === 0) throw new Error(`${files[0]}: no such file`)
    const result = await verifyFiles(all)
    print(`${describeVerify(result)}\n`)
    return result.broken === null ? 0 : 1
  } catch (err) {
    print(`baton audit verify: ${err instanceof Error ? err.message : String(err)}\n`)
    return 1
  }
}
