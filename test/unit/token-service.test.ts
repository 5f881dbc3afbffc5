import t from 'tap'
import { Writable } from 'node:stream'
import { decodeJwt, decodeProtectedHeader } from 'jose'
import { TokenService, TokenRejected, CLIENT_TOKEN_TYPE } from '../../src/tokens/token-service.js'
import { loadSigningKeys } from '../../src/tokens/signing-keys.js'
import { RevokedJtis, Revocations, REVOKED } from '../../src/tokens/revocation.js'
import { TwoTierCache } from '../../src/cache/two-tier.js'
import { createLogger } from '../../src/logger.js'
import { manualClock, type TestClock } from '../helpers/clock.js'

const ISSUER = 'https://gatehouse.test'
const quiet = createLogger('info', [], new Writable({ write (_c, _e, cb) { cb() } }))

async function service (clock: TestClock, ttlMs = 60_000): Promise<{ tokens: TokenService, cache: TwoTierCache }> {
  const cache = new TwoTierCache({ maxEntries: 1000, maxSize: 1024 * 1024 }, quiet, undefined, undefined, undefined, undefined, clock)
  const revocations = new Revocations(cache, new RevokedJtis(100, clock), quiet, undefined, clock)
  return { tokens: new TokenService(await loadSigningKeys(undefined, undefined), ISSUER, ttlMs, revocations, clock), cache }
}

async function rejection (p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p
    return undefined
  } catch (err) {
    if (!(err instanceof TokenRejected)) throw err
    return err.message
  }
}

t.test('a client token is signed on the service\'s clock and verified until its exp, then refused', async t => {
  const clock = manualClock()
  const { tokens } = await service(clock)
  const issued = await tokens.issueClientToken('android', ['orders:read', 'orders:write'])
  t.equal(issued.exp, Math.floor(clock() / 1000) + 60)
  t.equal(decodeProtectedHeader(issued.token).typ, CLIENT_TOKEN_TYPE)
  t.match(decodeJwt(issued.token), {
    iss: ISSUER,
    sub: 'android',
    client_id: 'android',
    scope: 'orders:read orders:write',
    jti: issued.jti,
    iat: Math.floor(clock() / 1000)
  })
  t.match(await tokens.verifyClientToken(issued.token), { sub: 'android', jti: issued.jti })
  clock.advance(59_000)
  t.ok(await tokens.verifyClientToken(issued.token), 'valid a second before exp')
  clock.advance(1000)
  t.equal(await rejection(tokens.verifyClientToken(issued.token)), 'token has expired')
})

t.test('what is not a client token of this gateway is refused with a reason', async t => {
  const clock = manualClock()
  const { tokens } = await service(clock)
  t.equal(await rejection(tokens.verifyClientToken('not.a.jwt')), 'not a JWT')
  const assertion = await tokens.sign({ sub: 'alice' }, { ttlMs: 60_000, audience: 'orders', type: 'identity+jwt' })
  t.equal(
    await rejection(tokens.verifyClientToken(assertion.token)),
    'token is not a client token of this gateway',
    'an identity assertion is not a client token'
  )
  const noClientId = await tokens.sign({ sub: 'a', scope: '' }, { ttlMs: 60_000, type: CLIENT_TOKEN_TYPE })
  t.equal(await rejection(tokens.verifyClientToken(noClientId.token)), 'token is not a client token of this gateway', 'client_id must equal sub')
  const [h, p, s] = (await tokens.issueClientToken('a', [])).token.split('.')
  t.equal(await rejection(tokens.verifyClientToken(`${h}.${p}.${s === undefined ? '' : s.slice(0, -4)}AAAA`)), 'token signature is invalid')
})

t.test('claimsOurs and peekJti read without verifying', async t => {
  const { tokens } = await service(manualClock())
  const issued = await tokens.issueClientToken('a', [])
  t.equal(tokens.claimsOurs(issued.token), true)
  t.equal(tokens.claimsOurs('garbage'), false)
  t.equal(tokens.peekJti(issued.token), issued.jti)
  t.throws(() => tokens.peekJti('garbage'), TokenRejected)
  const noJti = await tokens.sign({ jti: '' }, { ttlMs: 1000 })
  t.throws(() => tokens.peekJti(noJti.token), { message: 'token is not a client token of this gateway' })
  t.throws(() => new TokenService(tokens as never, ISSUER, 1, undefined, manualClock()).revocations, /without a revocation list/)
})

t.test('a ttl shorter than a second still gives a token one second of life', async t => {
  const clock = manualClock()
  const { tokens } = await service(clock)
  t.equal((await tokens.sign({}, { ttlMs: 10 })).exp, Math.floor(clock() / 1000) + 1)
})

t.test('revocation: known at once, kept until the token would have expired, then forgotten', async t => {
  const clock = manualClock()
  const { tokens, cache } = await service(clock)
  const issued = await tokens.issueClientToken('a', [])
  const claims = { jti: issued.jti, exp: issued.exp }
  t.equal(await tokens.revocations.isRevoked(claims), false)
  await tokens.revocations.revoke(claims)
  t.equal(tokens.revocations.knownRevoked(issued.jti), true)
  t.equal(await tokens.revocations.isRevoked(claims), true)
  t.equal(await cache.get(REVOKED, issued.jti), 1, 'in the shared denylist too')
  clock.advance(60_001)
  t.equal(tokens.revocations.knownRevoked(issued.jti), false, 'past its exp the entry is gone: the token is refused as expired anyway')
  await tokens.revocations.revoke({ jti: 'old', exp: Math.floor(clock() / 1000) - 1 })
  t.equal(tokens.revocations.knownRevoked('old'), false, 'an expired token needs no entry')
  tokens.revocations.close()
})

t.test('RevokedJtis: bounded, entries listed until their exp, overflow counted', async t => {
  const clock = manualClock()
  const known = new RevokedJtis(2, clock)
  known.add('a', clock() + 1000)
  known.add('b', clock() + 5000)
  known.add('gone', clock() - 1)
  t.equal(known.size, 2)
  t.same([...known.entries()].map(([jti]) => jti).sort(), ['a', 'b'])
  clock.advance(1000)
  t.same([...known.entries()].map(([jti]) => jti), ['b'])
  known.add('c', clock() + 5000)
  known.add('d', clock() + 5000)
  t.ok(known.overflowed >= 1, 'past the bound the oldest are dropped and counted')
})
