/**
 * A deliberately small HTTP/1.1 response reader for what a client received on one connection (RFC 9112
 * §4 status line, §5 fields, §6.3 message length, §7.1 chunked). Strict where a real client would have
 * to guess: anything it cannot frame is "garbage", so bytes that could be read as a second response show up.
 */

export interface ReadResponses {
  /**
   * One token per final response, in order: "200" (complete), "200 truncated" (the connection ended
   * mid-body), "200 pending" (still open mid-body); then possibly "garbage" (bytes that are no response),
   * "partial-head" (the connection ended inside a head) or "pending-head" (a head still arriving).
   */
  readonly tokens: string[]
  /** Interim 1xx statuses (not 101), in order. */
  readonly interim: number[]
  /** Complete final responses. */
  readonly complete: number
}

/**
 * Reads `text` (latin1, one char per byte). `closed`: the connection has ended, so a body without length ends
 * here and a body with one is truncated. `head`: the request was HEAD (a response to it has no body).
 */
export function readResponses(text: string, closed: boolean, head: boolean): ReadResponses {
  const tokens: string[] = []
  const interim: number[] = []
  let complete = 0
  let pos = 0
  while (pos < text.length) {
    const headEnd = text.indexOf('\r\n\r\n', pos)
    if (headEnd < 0) {
      tokens.push(looksLikeStatusLine(text.slice(pos)) ? (closed ? 'partial-head' : 'pending-head') : 'garbage')
      break
    }
    const lines = text.slice(pos, headEnd).split('\r\n')
    const m = /^HTTP\/1\.[01] (\d{3})(?: [^\r\n]*)?$/.exec(lines[0])
    const fields = m === null ? null : parseFields(lines.slice(1))
    if (m === null || fields === null) {
      tokens.push('garbage')
      break
    }
    const status = Number(m[1])
    const bodyStart = headEnd + 4
    if (status >= 100 && status < 200 && status !== 101) {
      interim.push(status)
      pos = bodyStart
      continue
    }
    if (status === 101) {
      tokens.push('101') // what follows is another protocol's
      complete++
      break
    }
    const end = bodyEnd(text, bodyStart, fields, status, head, closed)
    if (end === 'bad') {
      tokens.push(`${status} garbage-framing`)
      break
    }
    if (end === 'short') {
      tokens.push(closed ? `${status} truncated` : `${status} pending`)
      break
    }
    tokens.push(String(status))
    complete++
    pos = end
  }
  return { tokens, interim, complete }
}

function looksLikeStatusLine(s: string): boolean {
  return 'HTTP/1.'.startsWith(s.slice(0, 7)) || /^HTTP\/1\.[01] /.test(s)
}

/** Lower-cased name → values, or null when a line is no field (no colon, a space before it, an empty name). */
function parseFields(lines: string[]): Map<string, string[]> | null {
  const fields = new Map<string, string[]>()
  for (const line of lines) {
    const colon = line.indexOf(':')
    if (colon <= 0 || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(line.slice(0, colon))) return null
    const name = line.slice(0, colon).toLowerCase()
    const list = fields.get(name) ?? []
    list.push(line.slice(colon + 1).trim())
    fields.set(name, list)
  }
  return fields
}

/** Index just past the body; 'short' when the bytes stop before it; 'bad' when the framing cannot be read. */
function bodyEnd(
  text: string,
  start: number,
  fields: Map<string, string[]>,
  status: number,
  head: boolean,
  closed: boolean,
): number | 'short' | 'bad' {
  if (head || status === 204 || status === 304) return start
  const te = fields.get('transfer-encoding')
  if (te !== undefined) {
    if (te.join(',').trim().toLowerCase() !== 'chunked') return 'bad'
    return chunkedEnd(text, start)
  }
  const cl = fields.get('content-length')
  if (cl !== undefined) {
    const values = new Set(cl.flatMap((v) => v.split(',').map((s) => s.trim())))
    if (values.size !== 1) return 'bad'
    const [value] = values
    if (!/^\d+$/.test(value)) return 'bad'
    const end = start + Number(value)
    return end <= text.length ? end : 'short'
  }
  return closed ? text.length : 'short' // delimited by the close (RFC 9112 §6.3 rule 8)
}

function chunkedEnd(text: string, start: number): number | 'short' | 'bad' {
  let pos = start
  for (;;) {
    const lineEnd = text.indexOf('\r\n', pos)
    if (lineEnd < 0) return 'short'
    const m = /^([0-9A-Fa-f]+)(;[^\r\n]*)?$/.exec(text.slice(pos, lineEnd))
    if (m === null) return 'bad'
    const size = parseInt(m[1], 16)
    pos = lineEnd + 2
    if (size === 0) {
      // trailer section, then the empty line
      for (;;) {
        const end = text.indexOf('\r\n', pos)
        if (end < 0) return 'short'
        if (end === pos) return end + 2
        pos = end + 2
      }
    }
    if (pos + size + 2 > text.length) return 'short'
    if (text.slice(pos + size, pos + size + 2) !== '\r\n') return 'bad'
    pos += size + 2
  }
}
