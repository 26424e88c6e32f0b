import { rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import { FileSource } from '../../../src/discovery/file-source.js'
import { systemTimers } from '../../../src/discovery/schedule.js'

t.test('a YAML or JSON file of endpoints, validated like endpoints: with file:line in every error', async (t) => {
  const dir = t.testdir({
    'eps.yaml': '- http://127.0.0.1:3001\n- { url: http://127.0.0.1:3002, weight: 3, id: b }\n',
    'eps.json': '[\n  "http://127.0.0.1:3001",\n  { "url": "http://127.0.0.1:3002", "wieght": 3 }\n]\n',
    'broken.json': '[\n  "http://127.0.0.1:3001",\n',
    'bad.yaml': '- http://127.0.0.1:3001\n- url: ftp://x\n  weight: 0\n- http://127.0.0.1:3001\n',
    'dup.yaml': '- http://127.0.0.1:3001\n- http://127.0.0.1:3001\n',
  })
  const source = (name: string, format: 'json' | 'yaml') => new FileSource({ kind: 'file', path: join(dir, name), format, pollIntervalMs: 5_000 }, systemTimers)
  t.same((await source('eps.yaml', 'yaml').read()).endpoints, [
    { id: '127.0.0.1:3001', url: 'http://127.0.0.1:3001', weight: 1 },
    { id: 'b', url: 'http://127.0.0.1:3002', weight: 3 },
  ])
  await t.rejects(source('eps.json', 'json').read(), { message: `[1].wieght: unknown key "wieght" at ${join(dir, 'eps.json')}:3:37` })
  await t.rejects(source('broken.json', 'json').read(), { message: new RegExp(`^\\(root\\): JSON syntax error: .* at ${join(dir, 'broken.json')}:3:1$`) })
  await t.rejects(source('bad.yaml', 'yaml').read(), {
    message: [`[1].url: invalid URL "ftp://x": the scheme must be http or https at ${join(dir, 'bad.yaml')}:2:8`, `[1].weight: weight must be between 1 and 10000 at ${join(dir, 'bad.yaml')}:3:11`].join('\n'),
  })
  await t.rejects(source('dup.yaml', 'yaml').read(), { message: `[1]: duplicate endpoint "127.0.0.1:3001" (first at [0]) at ${join(dir, 'dup.yaml')}:2:3` })
  await t.rejects(source('missing.yaml', 'yaml').read(), { message: `cannot read ${join(dir, 'missing.yaml')}: ENOENT` })
})

t.test('the watch sees a write and a rename into place, once per burst', async (t) => {
  const dir = t.testdir({ 'eps.yaml': '- http://127.0.0.1:3001\n', 'other.txt': '' })
  const source = new FileSource({ kind: 'file', path: join(dir, 'eps.yaml'), format: 'yaml', pollIntervalMs: 60_000 }, systemTimers)
  t.teardown(() => source.close())
  let changes = 0
  source.watch(() => changes++)
  await writeFile(join(dir, 'other.txt'), 'x')
  await new Promise((r) => setTimeout(r, 150))
  t.equal(changes, 0, 'another file in the folder is no change')
  await writeFile(join(dir, 'eps.yaml'), '- http://127.0.0.1:3002\n')
  await new Promise((r) => setTimeout(r, 150))
  t.equal(changes, 1, 'a write is one change')
  await writeFile(join(dir, 'eps.tmp'), '- http://127.0.0.1:3003\n')
  await rename(join(dir, 'eps.tmp'), join(dir, 'eps.yaml'))
  await new Promise((r) => setTimeout(r, 150))
  t.equal(changes, 2, 'a rename into place is one change')
  t.same((await source.read()).endpoints.map((e) => e.id), ['127.0.0.1:3003'])
  await rm(join(dir, 'eps.yaml'))
  await new Promise((r) => setTimeout(r, 150))
  t.equal(changes, 3, 'so is a removal')
  source.close()
  await writeFile(join(dir, 'eps.yaml'), '- http://127.0.0.1:3004\n')
  await new Promise((r) => setTimeout(r, 150))
  t.equal(changes, 3, 'nothing after close')
})

t.test('no folder to watch: the poll alone, no throw', async (t) => {
  const source = new FileSource({ kind: 'file', path: '/nonexistent-baton-dir/eps.yaml', format: 'yaml', pollIntervalMs: 5_000 }, systemTimers)
  source.watch(() => undefined)
  source.close()
  t.pass()
})
