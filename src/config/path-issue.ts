/** A problem found across fields, with the key path it belongs to. */
export interface PathIssue {
  readonly path: (string | number)[]
  readonly message: string
}
