import t from 'tap'
import { interpret, type IntrospectionSettings } from '../../src/auth/introspection.js'

const settings = { userClaim: 'sub', scopeClaim: 'scope', cacheTtlMs: 60_000, negativeCacheTtlMs: 5000, keepClaims: [] } as unknown as IntrospectionSettings

t.test('a scope string is split on any whitespace, with no empty scope from a leading or trailing blank', async t => {
  const { result } = interpret({ active: true, sub: 'alice', scope: ' orders:read\torders:write  admin ' }, settings, Date.UTC(2030, 0, 1))
  t.same(result.active ? result.scopes : undefined, ['orders:read', 'orders:write', 'admin'])
})
