/**
 * The bytes of a case, as the YAML writes them: a string, or a list of parts sent in order.
 *   "text"                                   bytes (each character one byte, latin1: "\xff" is byte 0xff)
 *   { repeat: "X-H{i}: v\r\n", times: 150 }  the text `times` times, {i} replaced by 0, 1, 2, …; `repeat`
 *                                            may itself be a list of text and repeats (a 280-byte value per header)
 *   { pause: 200 }                           wait 200 ms before the next part
 *   { drip: "GET / HTTP/1.1\r\n", bytes: 2, everyMs: 100 }   send the text 2 bytes at a time every 100 ms
 *                                            (`drip` too may be a list of text and repeats)
 *   { waitFor: '^HTTP/1\.1 100', timeoutMs: 1000 }          wait until what came back matches (then go on anyway)
 * Adjacent text parts become one write, so a 20 KB request line arrives as one segment, not 20 000.
 */
export type Segment =
  | { readonly kind: 'bytes'; readonly bytes: Buffer }
  | { readonly kind: 'pause'; readonly ms: number }
  | { readonly kind: 'drip'; readonly bytes: Buffer; readonly chunk: number; readonly everyMs: number }
  | { readonly kind: 'waitFor'; readonly pattern: RegExp; readonly timeoutMs: number }

/** Turns the YAML form into segments; throws naming `where` when a part is not one of the forms above. */
export function parseSegments(value: unknown, where: string): Segment[] {
  const parts = typeof value === 'string' ? [value] : value
  if (!Array.isArray(parts) || parts.length === 0) throw new Error(`${where}: raw bytes must be a string or a non-empty list`)
  const out: Segment[] = []
  let text = ''
  const flush = (): void => {
    if (text.length > 0) out.push({ kind: 'bytes', bytes: latin1(text, where) })
    text = ''
  }
  for (const part of parts) {
    if (typeof part === 'string') {
      text += part
      continue
    }
    if (typeof part !== 'object' || part === null) throw new Error(`${where}: a part is neither text nor an object`)
    const p = part as Record<string, unknown>
    if (p.repeat !== undefined) {
      text += expandText(part, where)
    } else if (typeof p.pause === 'number') {
      flush()
      out.push({ kind: 'pause', ms: p.pause })
    } else if (p.drip !== undefined && typeof p.bytes === 'number' && typeof p.everyMs === 'number') {
      flush()
      out.push({ kind: 'drip', bytes: latin1(expandText(p.drip, where), where), chunk: p.bytes, everyMs: p.everyMs })
    } else if (typeof p.waitFor === 'string') {
      flush()
      out.push({ kind: 'waitFor', pattern: new RegExp(p.waitFor, 'm'), timeoutMs: typeof p.timeoutMs === 'number' ? p.timeoutMs : 1_000 })
    } else {
      throw new Error(`${where}: unknown part ${JSON.stringify(part)}`)
    }
  }
  flush()
  return out
}

/** Text only: a string, a { repeat, times } or a list of those. */
function expandText(value: unknown, where: string): string {
  if (typeof value === 'string') return value
  if (Array.isArray(value)) return value.map((v) => expandText(v, where)).join('')
  const p = value as Record<string, unknown> | null
  if (p !== null && typeof p === 'object' && p.repeat !== undefined && typeof p.times === 'number') {
    const unit = expandText(p.repeat, where)
    let text = ''
    for (let i = 0; i < p.times; i++) text += unit.replaceAll('{i}', String(i))
    return text
  }
  throw new Error(`${where}: expected text or { repeat, times }, got ${JSON.stringify(value)}`)
}

function latin1(text: string, where: string): Buffer {
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) > 0xff) throw new Error(`${where}: character U+${text.charCodeAt(i).toString(16)} is not one byte (write \\xNN)`)
  }
  return Buffer.from(text, 'latin1')
}
