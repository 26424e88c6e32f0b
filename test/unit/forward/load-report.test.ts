import t from 'tap'
import { LoadReportReader, parseLoadNumber, parseOrcaText } from '../../../src/forward/load-report.js'

const ORCA: { value: string; metric: string; expected: number }[] = [
  { value: 'TEXT cpu_utilization=0.3, rps_fractional=120', metric: 'cpu_utilization', expected: 0.3 },
  { value: 'TEXT cpu_utilization=0.3, rps_fractional=120', metric: 'rps_fractional', expected: 120 },
  { value: 'TEXT cpu_utilization=0.3,mem_utilization=0.75', metric: 'mem_utilization', expected: 0.75 },
  { value: '  TEXT  cpu_utilization = 1.5 ', metric: 'cpu_utilization', expected: 1.5 },
  { value: 'cpu_utilization=0.42', metric: 'cpu_utilization', expected: 0.42 },
  { value: 'TEXT named_metrics.queue=4, cpu_utilization=.5', metric: 'named_metrics.queue', expected: 4 },
  { value: 'TEXT cpu_utilization=2e-1', metric: 'cpu_utilization', expected: 0.2 },
  // Malformed or absent: ignored (NaN), never a guess.
  { value: 'TEXT rps_fractional=120', metric: 'cpu_utilization', expected: Number.NaN },
  { value: 'TEXT cpu_utilization=', metric: 'cpu_utilization', expected: Number.NaN },
  { value: 'TEXT cpu_utilization=high', metric: 'cpu_utilization', expected: Number.NaN },
  { value: 'TEXT cpu_utilization=-0.3', metric: 'cpu_utilization', expected: Number.NaN },
  { value: 'TEXT cpu_utilization=0x10', metric: 'cpu_utilization', expected: Number.NaN },
  { value: 'TEXT cpu_utilization=Infinity', metric: 'cpu_utilization', expected: Number.NaN },
  { value: 'TEXT cpu_utilization', metric: 'cpu_utilization', expected: Number.NaN },
  { value: 'TEXT xcpu_utilization=0.9', metric: 'cpu_utilization', expected: Number.NaN },
  { value: 'BIN CgIIAQ==', metric: 'cpu_utilization', expected: Number.NaN },
  { value: 'JSON {"cpu_utilization":0.3}', metric: 'cpu_utilization', expected: Number.NaN },
  { value: '', metric: 'cpu_utilization', expected: Number.NaN },
]

t.test("ORCA's text format", async (t) => {
  for (const c of ORCA) t.same(parseOrcaText(c.value, c.metric), c.expected, `${JSON.stringify(c.value)} → ${c.metric}`)
})

t.test('a plain number header', async (t) => {
  t.equal(parseLoadNumber(' 0.42 '), 0.42)
  t.equal(parseLoadNumber('7'), 7)
  t.ok(Number.isNaN(parseLoadNumber('')))
  t.ok(Number.isNaN(parseLoadNumber('1,5')))
  t.ok(Number.isNaN(parseLoadNumber('-1')))
})

t.test('the reader finds its header in raw undici headers, whatever its case', async (t) => {
  const raw = (pairs: string[]) => pairs.map((p) => Buffer.from(p, 'latin1'))
  const orca = new LoadReportReader({ header: 'endpoint-load-metrics', format: 'orca-text', metric: 'cpu_utilization', weight: 1 })
  t.equal(orca.find(raw(['content-type', 'text/plain', 'Endpoint-Load-Metrics', 'TEXT cpu_utilization=0.8'])), 0.8)
  t.ok(Number.isNaN(orca.find(raw(['content-type', 'text/plain', 'endpoint-load-metricz', 'TEXT cpu_utilization=0.8']))), 'another name')
  t.ok(Number.isNaN(orca.find([])), 'no headers')
  const plain = new LoadReportReader({ header: 'x-load', format: 'number', metric: 'cpu_utilization', weight: 1 })
  t.equal(plain.header, 'x-load')
  t.equal(plain.find(raw(['X-LOAD', '3.5'])), 3.5)
})
