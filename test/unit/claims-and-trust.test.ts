import t from 'tap'
import { claimsToKeep, keptClaimsTag, pickClaims, NO_CLAIMS } from '../../src/auth/kept-claims.js'
import { compileTrust } from '../../src/proxy/trust.js'
import { jwtOptions, jwtSpecIssues, type JwtSpec } from '../../src/config/jwt-options.js'
import { configOf } from '../helpers/config.js'

t.test('a cached principal keeps only the claims the config reads: mapped to headers or required by a route', async t => {
  const config = configOf(`identity:
  claims: { email: Remote-Email, groups: Remote-Groups }
upstreams:
  app: { url: "http://127.0.0.1:9" }
routes:
  - { match: /a, upstream: app, policy: public, require: { claims: { role: admin, email: x } } }
`)
  t.same(claimsToKeep(config), ['email', 'groups', 'role'])
  t.equal(keptClaimsTag(['a', 'b']), keptClaimsTag(['a', 'b']))
  t.not(keptClaimsTag(['a']), keptClaimsTag(['a', 'b']))
  t.same(pickClaims({ email: 'a', other: 1, role: undefined }, ['email', 'role']), { email: 'a' })
  t.equal(pickClaims({ other: 1 }, ['email']), undefined)
  t.equal(pickClaims(Object.create({ email: 'inherited' }) as Record<string, unknown>, ['email']), undefined, 'only own properties')
  t.ok(Object.isFrozen(NO_CLAIMS))
})

t.test('trustProxy: none, all, a hop count, or addresses and CIDRs', async t => {
  t.equal(compileTrust(false)('10.0.0.1', 0), false)
  t.equal(compileTrust(true)('8.8.8.8', 5), true)
  const two = compileTrust(2)
  t.same([two('x', 0), two('x', 1), two('x', 2)], [true, true, false])
  const cidr = compileTrust('10.0.0.0/8, loopback')
  t.same([cidr('10.1.2.3', 0), cidr('127.0.0.1', 0), cidr('192.168.0.1', 0)], [true, true, false])
  t.equal(compileTrust(['192.168.0.0/16'])('192.168.4.4', 0), true)
})

t.test('jwt options: defaults by key kind, durations and sizes in request-path units', async t => {
  const base = { type: 'jwt', issuer: 'https://idp', audience: 'api' } as unknown as JwtSpec
  t.match(jwtOptions({ ...base, secret: 's' }), {
    algorithms: ['HS256', 'HS384', 'HS512'],
    clockToleranceS: 0,
    maxTokenSize: 8192,
    userClaim: 'sub',
    scopeClaims: ['scope', 'scp'],
    cooldownMs: 30_000,
    timeoutMs: 5000
  })
  t.match(
    jwtOptions({
      ...base,
      jwksUri: 'https://idp/jwks',
      clockTolerance: '1500ms',
      maxTokenSize: '4KiB',
      scopeClaim: 'roles',
      jwksCooldown: '1m',
      timeout: '2s',
      requiredClaims: { typ: 'Bearer' }
    } as JwtSpec),
    {
      algorithms: ['RS256'],
      clockToleranceS: 1,
      maxTokenSize: 4096,
      scopeClaims: ['roles'],
      cooldownMs: 60_000,
      timeoutMs: 2000,
      requiredClaims: [['typ', 'Bearer']]
    }
  )
  t.equal(jwtOptions({ ...base, audience: false, secret: 's' } as unknown as JwtSpec).audience, undefined)
})

t.test('jwt settings the schema cannot check', async t => {
  const base = { type: 'jwt', issuer: 'https://idp', audience: 'api' } as unknown as JwtSpec
  const messages = (spec: Partial<JwtSpec>): string[] => jwtSpecIssues({ ...base, ...spec } as JwtSpec).map(([path, m]) => `${path.join('.')}: ${m}`)
  t.same(messages({ secret: 'x'.repeat(32), algorithms: ['HS256'] }), [])
  t.match(messages({ secret: 'short' }), ['secret: must be at least 32 bytes'])
  t.match(messages({ jwksUri: 'https://idp/jwks', algorithms: ['HS256', 'RS1', 'ES256'] }), [
    /algorithms.0: HS256 needs a shared secret/,
    /algorithms.1: unsupported algorithm "RS1"/
  ])
  t.match(messages({ secret: 'x'.repeat(32), algorithms: ['RS256'] }), [/RS256 needs jwksUri or publicKey/])
  t.match(messages({ jwksUri: 'https://idp/jwks', algorithms: [] }), ['algorithms: must list at least one algorithm'])
  t.match(messages({ jwksUri: 'ftp://idp/jwks' }), ['jwksUri: must be an http:// or https:// URL'])
  t.match(messages({ jwksUri: 'not a url' }), ['jwksUri: must be an http:// or https:// URL'])
  t.match(messages({ jwksUri: 'https://idp/jwks', maxTokenSize: 0 }), ['maxTokenSize: must be more than 0'])
})
