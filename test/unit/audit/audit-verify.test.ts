import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import { canonicalJson } from '../../../src/audit/canonical-json.js'
import { GENESIS, lineHash, sealLine, type ChainHead } from '../../../src/audit/audit-line.js'
import { describeVerify, verifyFiles } from '../../../src/audit/audit-verify.js'

const T0 = Date.UTC(2026, 11, 1)

/** `n` sealed lines from GENESIS. */
function chain(n: number, from: ChainHead = GENESIS): string[] {
  const out: string[] = []
  let head = from
  for (let k = 0; k < n; k++) {
    const sealed = sealLine({ actor: 'baton', action: 'ejected', target: `api/e${k}`, before: 'serving', after: 'ejected', reason: `r${k}` }, T0 + k, head)
    out.push(sealed.text)
    head = sealed.head
  }
  return out
}

async function fileOf(dir: string, lines: readonly string[], name = 'audit.log'): Promise<string> {
  const file = join(dir, name)
  await writeFile(file, lines.map((l) => `${l}\n`).join(''))
  return file
}

t.test('canonical JSON sorts keys at every depth and leaves out undefined', async (t) => {
  t.equal(canonicalJson({ b: 1, a: { d: [1, undefined, 'x'], c: null }, u: undefined }), '{"a":{"c":null,"d":[1,null,"x"]},"b":1}')
  t.equal(canonicalJson({ n: Number.NaN, t: new Date(0) }), '{"n":null,"t":"1970-01-01T00:00:00.000Z"}')
})

t.test('a line hashes its canonical fields; key order in the file does not matter', async (t) => {
  const [text] = chain(1)
  const parsed = JSON.parse(text) as Record<string, unknown>
  t.equal(lineHash(parsed), parsed.hash)
  const reordered = Object.fromEntries(Object.entries(parsed).reverse())
  t.equal(lineHash(reordered), parsed.hash)
})

const edit = (lines: string[], k: number, from: string, to: string): string[] => lines.map((l, i) => (i === k ? l.replace(from, to) : l))

const cases: { name: string; lines: (c: string[]) => string[]; line: number | null; reason: string | null }[] = [
  { name: 'intact', lines: (c) => c, line: null, reason: null },
  { name: 'a value edited', lines: (c) => edit(c, 2, '"after":"ejected"', '"after":"serving"'), line: 3, reason: 'edited' },
  { name: 'the last line edited', lines: (c) => edit(c, 4, '"reason":"r4"', '"reason":"rX"'), line: 5, reason: 'edited' },
  { name: 'a line removed', lines: (c) => c.filter((_, i) => i !== 1), line: 2, reason: 'missing' },
  { name: 'two lines swapped', lines: (c) => [c[0], c[2], c[1], c[3], c[4]], line: 2, reason: 'missing' },
  { name: 'a line duplicated', lines: (c) => [c[0], c[1], c[1], c[2]], line: 3, reason: 'reordered' },
  { name: 'a line rewritten with its own hash recomputed', lines: (c) => [c[0], chain(2)[1].replace('ejected', 'x'), ...c.slice(2)], line: 2, reason: 'edited' },
  { name: 'bad JSON', lines: (c) => [c[0], '{"seq":2,', ...c.slice(2)], line: 2, reason: 'bad-json' },
  { name: 'not an audit line', lines: (c) => [c[0], '{"hello":1}', ...c.slice(2)], line: 2, reason: 'not-audit-line' },
]

for (const c of cases) {
  t.test(`verify: ${c.name}`, async (t) => {
    const file = await fileOf(t.testdir(), c.lines(chain(5)))
    const result = await verifyFiles([file])
    if (c.line === null) {
      t.equal(result.broken, null)
      t.equal(result.lines, 5)
      t.match(describeVerify(result), /^5 lines, chain intact/)
    } else {
      t.equal(result.broken?.line, c.line, 'the first bad line')
      t.equal(result.broken?.reason, c.reason)
      t.match(describeVerify(result), new RegExp(`audit\\.log:${c.line}: chain broken \\(${c.reason}\\)`))
    }
  })
}

t.test('a line replaced by a consistent forgery breaks the link after it', async (t) => {
  const good = chain(3)
  const forged = sealLine({ actor: 'mallory', action: 'ejected', target: 'api/e1', before: 'serving', after: 'ejected', reason: 'r1' }, T0 + 1, { seq: 1, hash: JSON.parse(good[0]).hash })
  const file = await fileOf(t.testdir(), [good[0], forged.text, good[2]])
  const result = await verifyFiles([file])
  t.equal(result.broken?.line, 3)
  t.equal(result.broken?.reason, 'replaced')
})

t.test('files are one chain: a middle file removed is detected', async (t) => {
  const dir = t.testdir()
  const lines = chain(6)
  const oldest = await fileOf(dir, lines.slice(0, 2), 'audit.log.2')
  const middle = await fileOf(dir, lines.slice(2, 4), 'audit.log.1')
  const live = await fileOf(dir, lines.slice(4), 'audit.log')
  t.equal((await verifyFiles([oldest, middle, live])).broken, null)
  const result = await verifyFiles([oldest, live])
  t.equal(result.broken?.file, live)
  t.equal(result.broken?.line, 1)
  t.match(result.broken?.message, /seq 3\.\.4 missing/)
  const alone = await verifyFiles([live])
  t.equal(alone.broken, null, 'one file alone may start mid-chain')
  t.equal(alone.continuesFrom, 4)
})

t.test('seq 1 must chain to the genesis hash', async (t) => {
  const [first] = chain(1, { seq: 0, hash: 'f'.repeat(64) })
  const file = await fileOf(t.testdir(), [first])
  t.equal((await verifyFiles([file])).broken?.reason, 'bad-start')
  t.ok((await readFile(file, 'utf8')).length > 0)
})
