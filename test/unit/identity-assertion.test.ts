import t from 'tap'
import { decodeJwt, decodeProtectedHeader } from 'jose'
import { ASSERTION_TYPE, createAssertionSigner } from '../../src/identity/assertion.js'
import { TokenService } from '../../src/tokens/token-service.js'
import { loadSigningKeys } from '../../src/tokens/signing-keys.js'
import type { Identity } from '../../src/policy/authenticate.js'
import { manualClock } from '../helpers/clock.js'
import { clientRecord } from '../helpers/client-record.js'

const record = clientRecord('android')

t.test('an assertion names the caller for one upstream, is reused for a quarter of its ttl, and never outlives the user credential', async t => {
  const clock = manualClock()
  const tokens = new TokenService(await loadSigningKeys(undefined, undefined), 'https://gw', 60_000, undefined, clock)
  const signer = createAssertionSigner({ header: 'Remote-Identity', ttlMs: 60_000 }, tokens)
  t.equal(signer.header, 'remote-identity')
  const nowS = Math.floor(clock() / 1000)
  const who: Identity = {
    client: { kind: 'client', id: 'android', client: record, scopes: ['c'], authenticator: 'keys' },
    user: { kind: 'user', id: 'alice', scopes: ['orders:read'], claims: {}, tokenClientId: undefined, authenticator: 'idp', exp: nowS + 3600 },
    authenticators: ['keys', 'idp']
  }
  const first = await signer.assert(who, 'orders')
  t.equal(decodeProtectedHeader(first).typ, ASSERTION_TYPE)
  t.match(decodeJwt(first), {
    sub: 'alice',
    client_id: 'android',
    scope: 'orders:read',
    auth: ['keys', 'idp'],
    aud: 'orders',
    iss: 'https://gw',
    exp: nowS + 60
  })
  t.equal(await signer.assert(who, 'orders'), first, 'reused')
  t.not(await signer.assert(who, 'billing'), first, 'another upstream, another audience')
  clock.advance(15_001)
  t.not(await signer.assert(who, 'orders'), first, 'a new one after a quarter of the ttl')

  const expiring: Identity = { ...who, user: { ...who.user!, exp: Math.floor(clock() / 1000) + 10 } }
  const short = await signer.assert(expiring, 'orders')
  t.equal(decodeJwt(short).exp, Math.floor(clock() / 1000) + 10, 'capped at the user credential\'s exp')
  t.not(await signer.assert(expiring, 'orders'), short, 'a capped assertion is not cached')

  const anonymous = decodeJwt(await signer.assert({ client: undefined, user: undefined, authenticators: [] }, 'orders'))
  t.equal(anonymous.sub, undefined)
  t.equal(anonymous.scope, undefined)
})
