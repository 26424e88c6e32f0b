import t from 'tap'
import { namingProblems, parsePrometheusText } from '../../helpers/prometheus-text.js'

const HISTOGRAM = [
  '# HELP x_seconds Latency.',
  '# TYPE x_seconds histogram',
  'x_seconds_bucket{a="1",le="0.1"} 1',
  'x_seconds_bucket{a="1",le="1"} 3',
  'x_seconds_bucket{a="1",le="+Inf"} 4',
  'x_seconds_sum{a="1"} 2.5',
  'x_seconds_count{a="1"} 4',
]

function text(lines: string[]): string {
  return lines.join('\n') + '\n'
}

t.test('parses families, HELP, TYPE, label escapes and special values', async (t) => {
  const families = parsePrometheusText(
    text([
      '# HELP c_total A "counter"\\nwith a backslash \\\\.',
      '# TYPE c_total counter',
      'c_total{path="a\\"b\\\\c\\nd",code="200"} 7 1700000000000',
      '# a plain comment',
      '',
      '# TYPE g gauge',
      'g +Inf',
      'g{k="v"} -1.5e-3',
      'g{k="w",} NaN',
      'g{k="x"} Nan',
      ...HISTOGRAM,
    ]),
  )
  t.same([...families.keys()], ['c_total', 'g', 'x_seconds'])
  const c = families.get('c_total')!
  t.equal(c.type, 'counter')
  t.equal(c.help, 'A "counter"\nwith a backslash \\.')
  t.same(c.samples[0].labels, { path: 'a"b\\c\nd', code: '200' })
  t.equal(c.samples[0].value, 7)
  const g = families.get('g')!
  t.same(g.samples.map((s) => s.value), [Infinity, -0.0015, NaN, NaN])
  t.equal(families.get('x_seconds')!.samples.length, 5, 'bucket, sum and count samples belong to the histogram')
})

t.test('rejects what the format does not allow', async (t) => {
  const cases: [string, string[], RegExp][] = [
    ['bad label escape', ['m{a="\\t"} 1'], /bad escape/],
    ['unterminated label value', ['m{a="x} 1'], /unterminated|expected/],
    ['label twice', ['m{a="1",a="2"} 1'], /label a twice/],
    ['bad value', ['m 1,5'], /bad value/],
    ['hex value', ['m 0x10'], /bad value/],
    ['missing value', ['m{a="1"}'], /expected a space|bad value|expected value/],
    ['bad metric name', ['1m 1'], /bad sample line/],
    ['duplicate series', ['m{a="1",b="2"} 1', 'm{b="2",a="1"} 2'], /duplicate series/],
    ['non-contiguous family', ['m 1', 'n 1', 'm{a="1"} 1'], /not contiguous/],
    ['TYPE after samples', ['m 1', '# TYPE m gauge'], /metadata for m after its samples/],
    ['two TYPEs', ['# TYPE m gauge', '# TYPE m gauge', 'm 1'], /second TYPE/],
    ['two HELPs', ['# HELP m a', '# HELP m b', 'm 1'], /second HELP/],
    ['unknown type', ['# TYPE m meter', 'm 1'], /bad TYPE/],
    ['negative counter', ['# TYPE m_total counter', 'm_total -1'], /counter m_total is -1/],
    ['buckets not cumulative', HISTOGRAM.map((l) => l.replace('le="1"} 3', 'le="1"} 0')), /below the previous/],
    ['le not increasing', HISTOGRAM.map((l) => l.replace('le="1"}', 'le="0.05"}')), /not above the previous/],
    ['no +Inf bucket', HISTOGRAM.filter((l) => !l.includes('+Inf')), /not "\+Inf"/],
    ['+Inf differs from _count', HISTOGRAM.map((l) => l.replace('_count{a="1"} 4', '_count{a="1"} 5')), /differs from the \+Inf bucket/],
    ['no _sum', HISTOGRAM.filter((l) => !l.includes('_sum')), /0 _sum samples/],
    ['a _sum of another label set', [...HISTOGRAM.slice(0, 5), 'x_seconds_sum{a="2"} 1', ...HISTOGRAM.slice(5)], /\{"a","2"\}.*0 _count samples|0 _count samples/],
  ]
  for (const [name, lines, error] of cases) t.throws(() => parsePrometheusText(text(lines)), error, name)
  t.throws(() => parsePrometheusText('m 1'), /end with a newline/)
})

t.test('naming conventions: _total only on counters, base units, time in seconds', async (t) => {
  const families = parsePrometheusText(
    text([
      '# HELP ok_requests_total Fine.',
      '# TYPE ok_requests_total counter',
      'ok_requests_total 1',
      '# HELP bad_handles_total A gauge.',
      '# TYPE bad_handles_total gauge',
      'bad_handles_total 1',
      '# HELP bad_requests A counter.',
      '# TYPE bad_requests counter',
      'bad_requests 1',
      '# HELP bad_latency_ms Milliseconds.',
      '# TYPE bad_latency_ms gauge',
      'bad_latency_ms 1',
      '# HELP bad_size A histogram without a unit.',
      '# TYPE bad_size histogram',
      'bad_size_bucket{le="+Inf"} 0',
      'bad_size_sum 0',
      'bad_size_count 0',
    ]),
  )
  t.same(namingProblems(families), [
    'bad_handles_total: a gauge ending in _total',
    'bad_requests: a counter without _total',
    'bad_latency_ms: non-base unit ms',
    'bad_latency_ms: about time but not in _seconds',
    'bad_size: a histogram without a unit suffix',
  ])
})
