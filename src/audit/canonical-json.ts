/**
 * Canonical JSON (RFC 8785, JCS, for the values Baton writes): object keys sorted by UTF-16 code units, no
 * whitespace, numbers and strings as JSON.stringify writes them (ES number-to-string, as JCS requires). Two
 * lines holding the same values serialise to the same bytes, so a hash over them survives a re-encoding
 * by a verifier and changes when any value changes. Like JSON.stringify: toJSON() is honoured, undefined
 * members are left out, a non-finite number is null.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || value === undefined) return 'null'
  if (typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    return canonicalJson((value as { toJSON(): unknown }).toJSON())
  }
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`
  if (typeof value === 'object') {
    const record = value as Record<string, unknown>
    const members: string[] = []
    for (const key of Object.keys(record).sort()) {
      if (record[key] !== undefined) members.push(`${JSON.stringify(key)}:${canonicalJson(record[key])}`)
    }
    return `{${members.join(',')}}`
  }
  if (typeof value === 'bigint') return JSON.stringify(value.toString())
  return JSON.stringify(value) ?? 'null'
}
