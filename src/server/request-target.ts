import type { ProxyError } from '../util/errors.js'
import { REJECTIONS } from '../forward/request-rejections.js'

/**
 * The request-target (RFC 9112 §3.2) split into what routing and forwarding need. Reused by one handler:
 * requests never overlap on this thread while their head is screened.
 */
export class RequestTarget {
  /** The origin-form path and query to send upstream, normalised; "*" for OPTIONS *. */
  path = '/'
  /** The authority of an absolute-form target ("http://a.example/x" → "a.example"), else null. */
  authority: string | null = null
}

export interface PathRules {
  readonly mergeSlashes: boolean
  readonly encodedSlashes: 'keep' | 'reject'
}

/**
 * Reads `target` into `out`; null when it is fine, else why it is refused. Origin-form ("/a?b") passes
 * (normalised); absolute-form ("http://h/a?b", which a server must accept) gives its path and its authority,
 * which then stands for Host; asterisk-form ("*") only goes with OPTIONS; authority-form only with CONNECT,
 * which never reaches here.
 */
export function readTarget(target: string | undefined, method: string | undefined, rules: PathRules, out: RequestTarget): ProxyError | null {
  out.authority = null
  if (target === undefined || target.length === 0) return REJECTIONS.badTarget
  if (target.charCodeAt(0) === 47 /* '/' */) return normalisedInto(target, rules, out)
  if (target === '*') {
    out.path = target
    return method === 'OPTIONS' ? null : REJECTIONS.badTarget
  }
  const authorityStart = absoluteFormAuthorityStart(target)
  if (authorityStart < 0) return REJECTIONS.badTarget
  let end = authorityStart
  while (end < target.length && target.charCodeAt(end) !== 47 && target.charCodeAt(end) !== 63) end++
  out.authority = target.slice(authorityStart, end)
  if (!isValidHost(out.authority)) return REJECTIONS.badHost // also refuses userinfo ("user@host")
  if (end === target.length) {
    out.path = '/'
    return null
  }
  return normalisedInto(target.charCodeAt(end) === 63 ? `/${target.slice(end)}` : target.slice(end), rules, out)
}

function normalisedInto(path: string, rules: PathRules, out: RequestTarget): ProxyError | null {
  const normal = normalisePath(path, rules)
  if (typeof normal !== 'string') return normal
  out.path = normal
  return null
}

/** Index just after "http://" or "https://" (case-insensitive), or -1. */
function absoluteFormAuthorityStart(target: string): number {
  const lower = target.slice(0, 8).toLowerCase()
  if (lower.startsWith('http://')) return 7
  if (lower.startsWith('https://')) return 8
  return -1
}

const HEX = '0123456789ABCDEF'

/**
 * The path (query kept as it is) normalised as RFC 3986 §6.2.2 says, so routing and the backend read the same
 * resource: percent-encoded unreserved characters decoded (§6.2.2.2), remaining escapes in upper case
 * (§6.2.2.1), repeated slashes merged when asked, dot segments removed (§5.2.4), after decoding, so
 * "/public/%2e%2e/admin" is "/admin" (the Envoy CVE-2019-9901 class). A path that climbs above the root, or a
 * broken escape, is refused; so is an encoded slash when the listener says so. A path with no "%", no "/." and
 * no "//" is returned as it is, without allocating.
 */
export function normalisePath(target: string, rules: PathRules): string | ProxyError {
  const queryAt = target.indexOf('?')
  const pathEnd = queryAt < 0 ? target.length : queryAt
  if (!needsNormalising(target, pathEnd, rules.mergeSlashes)) return target
  const decoded = decodeUnreserved(target, pathEnd, rules.encodedSlashes === 'reject')
  if (typeof decoded !== 'string') return decoded
  const path = removeDotSegments(decoded, rules.mergeSlashes)
  if (path === null) return REJECTIONS.badPath
  return queryAt < 0 ? path : path + target.slice(queryAt)
}

function needsNormalising(target: string, end: number, mergeSlashes: boolean): boolean {
  for (let i = 0; i < end; i++) {
    const c = target.charCodeAt(i)
    if (c === 37 /* % */) return true
    if (c === 47 /* / */ && i + 1 < end) {
      const next = target.charCodeAt(i + 1)
      if (next === 46 /* . */ || (mergeSlashes && next === 47)) return true
    }
  }
  return false
}

/** Decodes %XX of unreserved characters, upper-cases the other escapes; a broken escape is refused. */
function decodeUnreserved(target: string, end: number, rejectEncodedSlash: boolean): string | ProxyError {
  let out = ''
  let copied = 0
  for (let i = 0; i < end; i++) {
    if (target.charCodeAt(i) !== 37) continue
    const high = hexValue(target.charCodeAt(i + 1))
    const low = hexValue(target.charCodeAt(i + 2))
    if (i + 2 >= end || high < 0 || low < 0) return REJECTIONS.badPath
    const byte = high * 16 + low
    if (byte === 0x2f && rejectEncodedSlash) return REJECTIONS.encodedSlash
    out += target.slice(copied, i)
    out += isUnreserved(byte) ? String.fromCharCode(byte) : `%${HEX[high]}${HEX[low]}`
    copied = i + 3
    i += 2
  }
  return out + target.slice(copied, end)
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48
  if (c >= 65 && c <= 70) return c - 55
  if (c >= 97 && c <= 102) return c - 87
  return -1
}

/** RFC 3986 §2.3: ALPHA / DIGIT / "-" / "." / "_" / "~". */
function isUnreserved(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 45 || c === 46 || c === 95 || c === 126
}

/**
 * RFC 3986 §5.2.4 on an absolute path, segment by segment; empty segments dropped when merging slashes.
 * A ".." with nothing left to remove would climb above the root: null.
 */
function removeDotSegments(path: string, mergeSlashes: boolean): string | null {
  const input = path.split('/')
  const output: string[] = []
  for (let i = 1; i < input.length; i++) {
    const segment = input[i]
    const last = i === input.length - 1
    if (segment === '.' || segment === '..') {
      if (segment === '..' && output.pop() === undefined) return null
      if (last) output.push('') // "/a/b/.." is "/a/": the path still names a directory
      continue
    }
    if (segment === '' && mergeSlashes && !last) continue
    output.push(segment)
  }
  return `/${output.join('/')}`
}

/**
 * RFC 9110 §7.2 / RFC 3986 §3.2.2: host [":" port], host an IP-literal in brackets or a reg-name
 * (unreserved, sub-delims and escapes), port digits (at most 65535); empty hosts are invalid for http
 * (RFC 9110 §4.2.1). Anything else ("a b", "user@host", "a/b") is a bad Host.
 */
export function isValidHost(value: string): boolean {
  let i = 0
  if (value.charCodeAt(0) === 91 /* [ */) {
    const close = value.indexOf(']')
    if (close < 3) return false
    for (i = 1; i < close; i++) if (!isIpLiteralChar(value.charCodeAt(i))) return false
    i = close + 1
  } else {
    while (i < value.length && isRegNameChar(value.charCodeAt(i))) i++
    if (i === 0) return false
  }
  if (i === value.length) return true
  if (value.charCodeAt(i) !== 58 /* : */) return false
  const port = value.slice(i + 1)
  return /^\d{0,5}$/.test(port) && (port === '' || Number(port) <= 65535)
}

function isRegNameChar(c: number): boolean {
  // unreserved / pct-encoded ("%") / sub-delims: ! $ & ' ( ) * + , ; =
  return isUnreserved(c) || c === 37 || c === 33 || c === 36 || (c >= 38 && c <= 44) || c === 59 || c === 61
}

function isIpLiteralChar(c: number): boolean {
  return (c >= 48 && c <= 58) /* 0-9 : */ || (c >= 65 && c <= 70) || (c >= 97 && c <= 102) || c === 46 || c === 118 /* v */ || c === 86
}
