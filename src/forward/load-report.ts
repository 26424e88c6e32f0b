import type { LoadReportConfig } from '../config/types.js'

/** A decimal number as ORCA's text format writes one (no sign, no hex, no "Infinity"). */
const DECIMAL = /^\d+(?:\.\d*)?(?:[eE][-+]?\d+)?$|^\.\d+(?:[eE][-+]?\d+)?$/

/** A load value: finite and ≥ 0, else NaN (a malformed report is ignored, never a guess). */
function decimal(text: string): number {
  return DECIMAL.test(text) ? Number(text) : Number.NaN
}

/**
 * The value of `metric` in ORCA's endpoint-load-metrics text format ("TEXT cpu_utilization=0.3,
 * rps_fractional=120, named_metrics.queue=4": an optional TEXT prefix, then comma-separated key=value pairs;
 * gRPC proposal A51 and Envoy's ORCA parser); NaN when the metric is absent or its value is not a number.
 * Other ORCA encodings (BIN, JSON) are not read.
 */
export function parseOrcaText(value: string, metric: string): number {
  let text = value.trim()
  if (text.startsWith('TEXT ') || text.startsWith('TEXT\t')) text = text.slice(5)
  else if (text.startsWith('BIN ') || text.startsWith('JSON ')) return Number.NaN
  for (const pair of text.split(',')) {
    const eq = pair.indexOf('=')
    if (eq < 0 || pair.slice(0, eq).trim() !== metric) continue
    return decimal(pair.slice(eq + 1).trim())
  }
  return Number.NaN
}

/** A header holding a plain number ("0.42"); NaN when it is not one. */
export function parseLoadNumber(value: string): number {
  return decimal(value.trim())
}

/**
 * One upstream's load report: which response header holds it and how to read it. find() scans undici's raw
 * header list (Buffers) comparing names byte by byte, case-insensitively, so a response without the header
 * allocates nothing; only a present header is decoded and parsed.
 */
export class LoadReportReader {
  /** Lower case, as the client header pass compares it to strip it (response-headers.ts). */
  readonly header: string
  private readonly name: Buffer
  private readonly parse: (value: string) => number

  constructor(config: LoadReportConfig) {
    this.header = config.header
    this.name = Buffer.from(config.header, 'latin1')
    const metric = config.metric
    this.parse = config.format === 'number' ? parseLoadNumber : (value) => parseOrcaText(value, metric)
  }

  /** The reported load in raw headers ([name, value, …]); NaN when absent or malformed (the first such header counts). */
  find(raw: readonly Buffer[]): number {
    for (let i = 0; i < raw.length; i += 2) {
      if (sameName(raw[i], this.name)) return this.parse(raw[i + 1].toString('latin1'))
    }
    return Number.NaN
  }
}

/** ASCII case-insensitive equality of a header name with a lower-case one, without allocating. */
function sameName(name: Buffer, lower: Buffer): boolean {
  if (name.length !== lower.length) return false
  for (let k = 0; k < name.length; k++) {
    const c = name[k]
    if ((c >= 0x41 && c <= 0x5a ? c | 0x20 : c) !== lower[k]) return false
  }
  return true
}
