import t from 'tap'
import { redactedConfig } from '../../../src/admin/config-api.js'
import { adminToken } from '../../../src/config/admin-token.js'
import type { BatonConfig } from '../../../src/config/types.js'
import { testConfig } from '../../helpers/baton-config.js'

t.test('the effective config without secrets: tokens, keys under any name, PEM private keys, URL passwords', async (t) => {
  const base = testConfig([{ name: 'api', endpoints: ['http://user:hunter2@127.0.0.1:9'] }], {
    admin: { address: '127.0.0.1', port: 0, allowedHosts: [], tokens: [adminToken('ops', 'admin', 'super-secret-value-0123456789')] },
  })
  const withExtras = { ...base, future: { password: 'p4ss', note: '-----BEGIN EC PRIVATE KEY-----\nMHc…', keep: 'visible' } } as unknown as BatonConfig
  const shown = JSON.stringify(redactedConfig(withExtras))
  for (const secret of ['super-secret-value', 'hunter2', 'p4ss', 'MHc']) t.notOk(shown.includes(secret), `${secret} is not shown`)
  t.match(redactedConfig(withExtras), {
    admin: { tokens: [{ name: 'ops', role: 'admin', secret: '[redacted]' }] },
    upstreams: [{ endpoints: [{ url: 'http://user:[redacted]@127.0.0.1:9' }] }],
    future: { password: '[redacted]', note: '[redacted]', keep: 'visible' },
  })
})
