import type { AdminRole, AdminToken } from './types.js'

/**
 * An admin token whose secret cannot leak by accident: `secret` is a non-enumerable property, so
 * JSON.stringify, pino, util.inspect and object spread all leave it out, and toJSON() says "[redacted]"
 * to whoever prints the token on purpose. Read `token.secret` to compare it; nothing else should.
 */
export function adminToken(name: string, role: AdminRole, secret: string): AdminToken {
  const token = { name, role }
  Object.defineProperties(token, {
    secret: { value: secret, enumerable: false },
    toJSON: { value: () => ({ name, role, secret: '[redacted]' }), enumerable: false },
  })
  return Object.freeze(token) as AdminToken
}
