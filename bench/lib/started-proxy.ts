/** A started contender: where it listens, and what it chose to run when its name does not say (else null). */
export interface StartedProxy {
  readonly url: string
  readonly note: string | null
}
