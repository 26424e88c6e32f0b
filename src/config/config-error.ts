/** One problem in a config file, located as precisely as the YAML allows. */
export interface ConfigIssue {
  /** The file as the caller named it. */
  readonly file: string
  readonly line: number
  readonly column: number
  /** Key path like `upstreams[1].endpoints[0].url`; "(root)" for the document itself. */
  readonly path: string
  readonly message: string
}

/** A config that cannot be used. Its message lists every issue, one per line: `path: message at file:line:col`. */
export class ConfigError extends Error {
  constructor(readonly issues: readonly ConfigIssue[]) {
    super(issues.map(formatIssue).join('\n'))
    this.name = 'ConfigError'
  }
}

export function formatIssue(issue: ConfigIssue): string {
  return `${issue.path}: ${issue.message} at ${issue.file}:${issue.line}:${issue.column}`
}

/** ['upstreams', 1, 'endpoints', 0, 'url'] → "upstreams[1].endpoints[0].url". */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = ''
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : `${out === '' ? '' : '.'}${String(part)}`
  return out === '' ? '(root)' : out
}
