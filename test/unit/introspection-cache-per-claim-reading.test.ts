import t from 'tap'
import { introspectionPartition } from '../../src/auth/introspection.js'
import { authOutcome, authRequest, authUnit } from '../helpers/auth-unit.js'
import { bearer } from '../helpers/jwt-unit.js'
import { GATEWAY_CLIENT, startIntrospectionEndpoint, type IntrospectionEndpoint } from '../helpers/introspection-endpoint.js'

/** Two introspection authenticators at one endpoint, with one cache: `a` and `b` with their own specs. */
function twoReadings (ep: IntrospectionEndpoint, a: Record<string, unknown>, b: Record<string, unknown>): string {
  const base = { type: 'introspection', endpoint: ep.url, clientId: GATEWAY_CLIENT.id, clientSecret: GATEWAY_CLIENT.secret, timeout: '30s' }
  return `authenticators:
  a: ${JSON.stringify({ ...base, ...a })}
  b: ${JSON.stringify({ ...base, ...b })}
upstreams:
  app: { url: "http://127.0.0.1:9" }
routes:
  - { match: /a/*, upstream: app, user: [a], policy: user }
  - { match: /b/*, upstream: app, user: [b], policy: user }
`
}

t.test('authenticators reading the user from different fields never share a cached answer', async t => {
  const ep = await startIntrospectionEndpoint(t)
  const u = await authUnit(twoReadings(ep, { userClaim: 'username' }, { userClaim: 'email' }))
  ep.answers.set('tok-1', { active: true, sub: 'u-1', username: 'alice', email: 'mallory@example.com' })
  t.match(await authOutcome(u.get('a'), authRequest(bearer('tok-1'))), { id: 'alice' })
  t.match(await authOutcome(u.get('b'), authRequest(bearer('tok-1'))), { id: 'mallory@example.com' })
  t.equal(ep.calls.length, 2)
})

t.test('nor the scopes from different fields', async t => {
  const ep = await startIntrospectionEndpoint(t)
  const u = await authUnit(twoReadings(ep, { scopeClaim: 'scp' }, { scopeClaim: 'roles' }))
  ep.answers.set('tok-1', { active: true, sub: 'alice', scp: 'orders:read', roles: 'admin' })
  t.match(await authOutcome(u.get('a'), authRequest(bearer('tok-1'))), { id: 'alice', scopes: ['orders:read'] })
  t.match(await authOutcome(u.get('b'), authRequest(bearer('tok-1'))), { id: 'alice', scopes: ['admin'] })
})

t.test('the defaults named explicitly are the same reading: one answer serves both', async t => {
  const ep = await startIntrospectionEndpoint(t)
  const u = await authUnit(twoReadings(ep, {}, { userClaim: 'sub', scopeClaim: 'scope' }))
  ep.answers.set('tok-1', { active: true, sub: 'alice', scope: 'orders:read' })
  t.match(await authOutcome(u.get('a'), authRequest(bearer('tok-1'))), { id: 'alice', scopes: ['orders:read'] })
  t.match(await authOutcome(u.get('b'), authRequest(bearer('tok-1'))), { id: 'alice', scopes: ['orders:read'] })
  t.equal(ep.calls.length, 1)
  const spec = { type: 'introspection', endpoint: ep.url, clientId: 'gw', clientSecret: 's' } as const
  t.equal(introspectionPartition(spec), introspectionPartition({ ...spec, userClaim: 'sub', scopeClaim: 'scope' }))
})
