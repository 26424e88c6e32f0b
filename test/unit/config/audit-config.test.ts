import { join } from 'node:path'
import t from 'tap'
import { parseConfigText } from '../../../src/config/load.js'

const upstream = (policy = 'round_robin') => `upstreams:\n  - name: api\n    policy: ${policy}\n    endpoints: [http://127.0.0.1:3001]\n`

/** Where the trail goes: the default is a place Baton was told it may write, else beside the config file. */
const CASES: { name: string; text: string; source: string; file: string | null; fileFrom: string | null }[] = [
  { name: 'audit.file, relative to the config', text: `audit: { file: logs/trail.log }\n${upstream()}`, source: '/etc/baton/baton.yaml', file: '/etc/baton/logs/trail.log', fileFrom: 'configured' },
  { name: "the adaptive upstream's stateDir", text: upstream('{ name: adaptive, stateDir: /var/lib/baton }'), source: '/etc/baton/baton.yaml', file: '/var/lib/baton/audit.log', fileFrom: 'stateDir' },
  { name: "a hash policy's adaptive fallback's stateDir", text: upstream('{ name: hash, key: ip, fallback: { name: adaptive, stateDir: state } }'), source: '/etc/baton/baton.yaml', file: '/etc/baton/state/audit.log', fileFrom: 'stateDir' },
  { name: 'no stateDir: beside the config file', text: upstream(), source: '/etc/baton/baton.yaml', file: '/etc/baton/audit.log', fileFrom: 'configDir' },
  { name: 'no file behind the config: no default place', text: upstream(), source: '<inline>', file: null, fileFrom: null },
  { name: 'enabled: false', text: `audit: { enabled: false, file: x.log }\n${upstream()}`, source: '/etc/baton/baton.yaml', file: null, fileFrom: null },
]

for (const c of CASES) {
  t.test(c.name, async (t) => {
    const audit = parseConfigText(c.text, 'x.yaml', {}, c.source).audit
    t.equal(audit.file, c.file === null ? null : join(c.file))
    t.equal(audit.fileFrom, c.fileFrom)
  })
}

t.test('defaults: 1 s flush, 10 MiB files, 5 kept', async (t) => {
  t.match(parseConfigText(upstream(), 'x.yaml', {}, '/etc/baton/baton.yaml').audit, { enabled: true, flushIntervalMs: 1_000, maxSizeBytes: 10 * 1_048_576, keep: 5 })
})
