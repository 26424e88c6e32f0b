/**
 * A small strict parser of the Prometheus text exposition format (version 0.0.4), for tests: it throws on
 * anything the format does not allow, rather than skipping it, and checks what a scraper would trip on.
 *
 * - `# HELP name text` (escapes `\\` and `\n` only) and `# TYPE name type`, each at most once per family,
 *   both before the family's first sample; other `#` lines are comments.
 * - `name{label="value",...} value [timestamp]`: metric and label names by the format's regexes, label
 *   values with the escapes `\\`, `\"` and `\n` only, no label twice, values as Prometheus reads them (Go's
 *   ParseFloat: decimals, NaN and ±Inf in any case); a timestamp is an integer.
 * - A family's samples are contiguous and no series (name and label set) appears twice. A sample belongs to
 *   its TYPE's family: `x` for counters and gauges, `x_bucket`/`x_sum`/`x_count` for histograms,
 *   `x`/`x_sum`/`x_count` for summaries; a sample with no TYPE'd family is untyped.
 * - Histograms: for each label set, `le` buckets parse as numbers, strictly increasing in `le`, with
 *   non-decreasing counts, ending at `le="+Inf"`, whose count equals the one `_count`; exactly one `_sum`.
 *   Counters and bucket counts are ≥ 0. Summaries: `quantile` in [0, 1], one `_sum` and one `_count`.
 */

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped'

export interface Sample {
  name: string
  labels: Record<string, string>
  value: number
  /** 1-based line number, for messages. */
  line: number
}

export interface Family {
  name: string
  type: MetricType
  help: string | null
  samples: Sample[]
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/
const TYPES: ReadonlySet<string> = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped'])
const FLOAT = /^[+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)$/
const INTEGER = /^-?\d+$/

export class ExpositionError extends Error {
  constructor(line: number, message: string) {
    super(`line ${line}: ${message}`)
  }
}

/** Parses and checks `text`; the families in order of appearance, keyed by family name. */
export function parsePrometheusText(text: string): Map<string, Family> {
  const families = new Map<string, Family>()
  if (text.length > 0 && !text.endsWith('\n')) throw new ExpositionError(0, 'the exposition must end with a newline')
  const lines = text.split('\n')
  const seenSeries = new Set<string>()
  const typeDeclared = new Set<string>()
  /** Families whose samples have ended (another family's sample came after). */
  const closed = new Set<string>()
  let open: string | null = null

  const family = (name: string, line: number): Family => {
    let f = families.get(name)
    if (f === undefined) {
      f = { name, type: 'untyped', help: null, samples: [] }
      families.set(name, f)
    }
    if (f.samples.length > 0) throw new ExpositionError(line, `metadata for ${name} after its samples`)
    return f
  }

  for (let i = 0; i < lines.length; i++) {
    const n = i + 1
    const raw = lines[i]
    if (raw.trim() === '') continue
    if (raw.startsWith('#')) {
      const m = /^#[ \t]+(HELP|TYPE)[ \t]+(\S+)(?:[ \t]+(.*))?$/.exec(raw)
      if (m === null) continue // a plain comment
      const [, keyword, name, rest = ''] = m
      if (!METRIC_NAME.test(name)) throw new ExpositionError(n, `bad metric name ${JSON.stringify(name)}`)
      const f = family(name, n)
      if (keyword === 'HELP') {
        if (f.help !== null) throw new ExpositionError(n, `second HELP for ${name}`)
        f.help = unescapeHelp(rest, n)
      } else {
        if (!TYPES.has(rest)) throw new ExpositionError(n, `bad TYPE ${JSON.stringify(rest)} for ${name}`)
        if (f.type !== 'untyped' || typeDeclared.has(name)) throw new ExpositionError(n, `second TYPE for ${name}`)
        f.type = rest as MetricType
        typeDeclared.add(name)
      }
      continue
    }
    const sample = parseSample(raw, n)
    const familyName = familyOf(sample.name, families)
    if (open !== familyName) {
      if (open !== null) closed.add(open)
      if (closed.has(familyName)) throw new ExpositionError(n, `samples of ${familyName} are not contiguous`)
      open = familyName
    }
    const key = sample.name + JSON.stringify(Object.entries(sample.labels).sort(([a], [b]) => (a < b ? -1 : 1)))
    if (seenSeries.has(key)) throw new ExpositionError(n, `duplicate series ${raw}`)
    seenSeries.add(key)
    const f = families.get(familyName) ?? { name: familyName, type: 'untyped' as const, help: null, samples: [] }
    families.set(familyName, f)
    f.samples.push(sample)
  }
  for (const f of families.values()) checkFamily(f)
  return families
}

function familyOf(sampleName: string, families: Map<string, Family>): string {
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (!sampleName.endsWith(suffix)) continue
    const base = sampleName.slice(0, -suffix.length)
    const f = families.get(base)
    if (f === undefined) continue
    if (f.type === 'histogram' || (f.type === 'summary' && suffix !== '_bucket')) return base
  }
  return sampleName
}

function unescapeHelp(text: string, line: number): string {
  return text.replace(/\\(.?)/g, (_m, c: string) => {
    if (c === '\\') return '\\'
    if (c === 'n') return '\n'
    throw new ExpositionError(line, `bad escape \\${c} in HELP`)
  })
}

function parseSample(raw: string, line: number): Sample {
  let pos = 0
  const nameMatch = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(raw)
  if (nameMatch === null) throw new ExpositionError(line, `bad sample line ${JSON.stringify(raw)}`)
  const name = nameMatch[0]
  pos = name.length
  const labels: Record<string, string> = {}
  if (raw[pos] === '{') {
    pos++
    for (;;) {
      if (raw[pos] === '}') {
        pos++
        break
      }
      const labelMatch = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(raw.slice(pos))
      if (labelMatch === null) throw new ExpositionError(line, `bad label name at column ${pos + 1}`)
      const labelName = labelMatch[0]
      if (!LABEL_NAME.test(labelName) || labelName.startsWith('__')) throw new ExpositionError(line, `reserved or bad label name ${labelName}`)
      pos += labelName.length
      if (raw[pos] !== '=' || raw[pos + 1] !== '"') throw new ExpositionError(line, `expected ="…" after ${labelName}`)
      pos += 2
      let value = ''
      for (;;) {
        const c = raw[pos]
        if (c === undefined) throw new ExpositionError(line, `unterminated value of label ${labelName}`)
        pos++
        if (c === '"') break
        if (c === '\\') {
          const e = raw[pos++]
          if (e === '\\') value += '\\'
          else if (e === '"') value += '"'
          else if (e === 'n') value += '\n'
          else throw new ExpositionError(line, `bad escape \\${e ?? ''} in label ${labelName}`)
        } else {
          value += c
        }
      }
      if (Object.hasOwn(labels, labelName)) throw new ExpositionError(line, `label ${labelName} twice`)
      labels[labelName] = value
      if (raw[pos] === ',') pos++
      else if (raw[pos] !== '}') throw new ExpositionError(line, `expected , or } at column ${pos + 1}`)
    }
  }
  if (raw[pos] !== ' ' && raw[pos] !== '\t') throw new ExpositionError(line, `expected a space before the value of ${name}`)
  const fields = raw.slice(pos).trim().split(/[ \t]+/)
  if (fields.length < 1 || fields.length > 2) throw new ExpositionError(line, `expected value [timestamp], got ${JSON.stringify(raw.slice(pos))}`)
  const value = parseValue(fields[0], line)
  if (fields.length === 2 && !INTEGER.test(fields[1])) throw new ExpositionError(line, `bad timestamp ${fields[1]}`)
  return { name, labels, value, line }
}

/**
 * A value as Prometheus reads it (Go's strconv.ParseFloat): decimal floats, and NaN, Inf and Infinity in any
 * case with an optional sign. prom-client prints NaN as "Nan" (the event-loop mean before its first
 * sample), which Prometheus accepts, so this does too.
 */
function parseValue(text: string, line: number): number {
  if (/^nan$/i.test(text)) return NaN
  const inf = /^([+-]?)inf(inity)?$/i.exec(text)
  if (inf !== null) return inf[1] === '-' ? -Infinity : Infinity
  if (!FLOAT.test(text) || /inf/i.test(text)) throw new ExpositionError(line, `bad value ${JSON.stringify(text)}`)
  return Number(text)
}

/** Labels without `drop`, as a stable key. */
function groupKey(labels: Record<string, string>, drop: string): string {
  return JSON.stringify(
    Object.entries(labels)
      .filter(([k]) => k !== drop)
      .sort(([a], [b]) => (a < b ? -1 : 1)),
  )
}

function checkFamily(f: Family): void {
  if (f.type === 'counter') {
    for (const s of f.samples) {
      if (!(s.value >= 0)) throw new ExpositionError(s.line, `counter ${s.name} is ${s.value}`)
    }
  }
  if (f.type === 'histogram') checkHistogram(f)
  if (f.type === 'summary') checkSummary(f)
}

function checkHistogram(f: Family): void {
  const groups = new Map<string, { buckets: Sample[]; sums: Sample[]; counts: Sample[] }>()
  const group = (s: Sample, drop: string) => {
    const key = groupKey(s.labels, drop)
    let g = groups.get(key)
    if (g === undefined) groups.set(key, (g = { buckets: [], sums: [], counts: [] }))
    return g
  }
  for (const s of f.samples) {
    if (s.name === `${f.name}_bucket`) {
      if (!Object.hasOwn(s.labels, 'le')) throw new ExpositionError(s.line, `${s.name} without le`)
      group(s, 'le').buckets.push(s)
    } else if (s.name === `${f.name}_sum`) {
      if (Object.hasOwn(s.labels, 'le')) throw new ExpositionError(s.line, `${s.name} with le`)
      group(s, 'le').sums.push(s)
    } else if (s.name === `${f.name}_count`) {
      if (Object.hasOwn(s.labels, 'le')) throw new ExpositionError(s.line, `${s.name} with le`)
      group(s, 'le').counts.push(s)
    } else {
      throw new ExpositionError(s.line, `${s.name} in histogram ${f.name}`)
    }
  }
  for (const [key, g] of groups) {
    const where = `${f.name}${key}`
    const at = g.buckets[0]?.line ?? g.sums[0]?.line ?? g.counts[0]?.line ?? 0
    if (g.sums.length !== 1) throw new ExpositionError(at, `${where}: ${g.sums.length} _sum samples, expected 1`)
    if (g.counts.length !== 1) throw new ExpositionError(at, `${where}: ${g.counts.length} _count samples, expected 1`)
    if (g.buckets.length === 0) throw new ExpositionError(at, `${where}: no buckets`)
    let previousLe = -Infinity
    let previousCount = 0
    for (const b of g.buckets) {
      const le = parseValue(b.labels.le, b.line)
      if (Number.isNaN(le) || !(le > previousLe)) throw new ExpositionError(b.line, `${where}: le=${b.labels.le} not above the previous bucket's`)
      if (!(b.value >= previousCount)) throw new ExpositionError(b.line, `${where}: bucket le=${b.labels.le} is ${b.value}, below the previous ${previousCount}`)
      if (!Number.isInteger(b.value)) throw new ExpositionError(b.line, `${where}: bucket count ${b.value} is not whole`)
      previousLe = le
      previousCount = b.value
    }
    const last = g.buckets[g.buckets.length - 1]
    if (last.labels.le !== '+Inf') throw new ExpositionError(last.line, `${where}: the last bucket is le="${last.labels.le}", not "+Inf"`)
    if (last.value !== g.counts[0].value) throw new ExpositionError(g.counts[0].line, `${where}: _count ${g.counts[0].value} differs from the +Inf bucket ${last.value}`)
    if (g.counts[0].value === 0 && g.sums[0].value !== 0) throw new ExpositionError(g.sums[0].line, `${where}: _sum ${g.sums[0].value} with no observation`)
  }
}

function checkSummary(f: Family): void {
  const sums = new Map<string, number>()
  const counts = new Map<string, number>()
  for (const s of f.samples) {
    if (s.name === f.name) {
      const q = Number(s.labels.quantile)
      if (s.labels.quantile === undefined || !(q >= 0 && q <= 1)) throw new ExpositionError(s.line, `${s.name}: bad quantile ${s.labels.quantile}`)
    } else {
      const key = groupKey(s.labels, 'quantile')
      const into = s.name.endsWith('_sum') ? sums : counts
      into.set(key, (into.get(key) ?? 0) + 1)
    }
  }
  for (const [key, n] of [...sums, ...counts]) {
    if (n !== 1) throw new ExpositionError(0, `${f.name}${key}: ${n} _sum or _count samples`)
  }
}

/** Base units only (Prometheus naming): none of these as a word of a name. */
const NON_BASE_UNITS: ReadonlySet<string> = new Set(['ms', 'milliseconds', 'us', 'microseconds', 'ns', 'nanoseconds', 'minutes', 'hours', 'kb', 'mb', 'gb', 'kilobytes', 'megabytes', 'percent'])
/** Words that say a name measures time, so its unit must be seconds. */
const TIME_WORDS: ReadonlySet<string> = new Set(['latency', 'duration', 'lag', 'time', 'delay', 'elapsed'])

/**
 * Naming problems by Prometheus conventions (https://prometheus.io/docs/practices/naming/): lowercase snake
 * case; `_total` on counters and only on counters; base units only (seconds, bytes); a histogram or summary
 * and any name about time ends in its unit (`_seconds`, before `_total` on a counter). Empty when all is well.
 */
export function namingProblems(families: Map<string, Family>): string[] {
  const problems: string[] = []
  for (const f of families.values()) {
    const n = f.name
    if (!/^[a-z_][a-z0-9_]*$/.test(n)) problems.push(`${n}: not lowercase snake case`)
    const isCounter = f.type === 'counter'
    if (isCounter && !n.endsWith('_total')) problems.push(`${n}: a counter without _total`)
    if (!isCounter && /_total$/.test(n)) problems.push(`${n}: a ${f.type} ending in _total`)
    const words = n.split('_')
    for (const w of words) if (NON_BASE_UNITS.has(w)) problems.push(`${n}: non-base unit ${w}`)
    const stem = n.replace(/_total$/, '').replace(/_info$/, '')
    if ((f.type === 'histogram' || f.type === 'summary') && !/_(seconds|bytes)$/.test(stem)) problems.push(`${n}: a ${f.type} without a unit suffix`)
    if (words.some((w) => TIME_WORDS.has(w)) && !/_seconds$/.test(stem)) problems.push(`${n}: about time but not in _seconds`)
    if (f.help === null || f.help.trim() === '') problems.push(`${n}: no HELP`)
    if (f.samples.length > 0 && f.type === 'untyped') problems.push(`${n}: no TYPE`)
  }
  return problems
}
