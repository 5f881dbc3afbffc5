import t from 'tap'
import { startTestGateway } from '../helpers/gateway.js'
import { skewedClock } from '../helpers/clock.js'
import { startEcho, type Echo } from '../helpers/upstream.js'
import { call } from '../helpers/http.js'
import { introspectionYaml, startAuthServer } from '../helpers/oauth-server.js'

t.test('introspection: an active token passes, inactive and expired ones are 401 invalid_token', async t => {
  const as = await startAuthServer(t)
  const upstream = await startEcho(t)
  const clock = skewedClock()
  const gw = await startTestGateway(t, introspectionYaml(as, upstream), { clock })
  const url = `${gw.url}/api/orders/1`
  const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` })

  const active = await as.mint({ sub: 'alice', scope: 'orders:read orders:write' })
  const ok = await call(url, { headers: bearer(active) })
  t.equal(ok.status, 200, 'active token: 200')
  const seen = ok.json<Echo>().headers
  t.equal(seen['remote-user'], 'alice', 'sub is the user')
  t.equal(seen['remote-scopes'], 'orders:read orders:write')
  t.equal(seen['remote-auth'], 'oauth')
  t.equal(seen.authorization, undefined, 'the consumed token is not forwarded')

  const fromGrant = await as.clientCredentials('orders:read')
  const noUser = await call(url, { headers: bearer(fromGrant) })
  t.equal(noUser.status, 401, 'a client_credentials token names no user: 401')
  t.equal(noUser.json().detail, 'token has no sub')

  const revoked = await as.mint()
  await as.revoke(revoked)
  const inactive = await call(url, { headers: bearer(revoked) })
  t.equal(inactive.status, 401, 'revoked (inactive) token: 401')
  t.equal(inactive.json().code, 'invalid_token')
  t.equal(inactive.headers['www-authenticate'], 'Bearer realm="gatehouse", error="invalid_token", error_description="token is not active"')

  const unknown = await call(url, { headers: bearer('not-a-token-the-server-issued') })
  t.equal(unknown.status, 401, 'unknown token: 401')

  const shortLived = await as.mint({ expiresIn: 1 })
  clock.advance(1100)
  const expired = await call(url, { headers: bearer(shortLived) })
  t.equal(expired.status, 401, 'expired token: 401')
  t.equal(expired.json().code, 'invalid_token')

  const none = await call(url)
  t.equal(none.status, 401, 'no token: 401 missing_credentials')
  t.equal(none.json().code, 'missing_credentials')
  t.equal(none.headers['www-authenticate'], 'Bearer realm="gatehouse"')
  const basic = await call(url, { headers: { authorization: 'Basic YWxpY2U6cw==' } })
  t.equal(basic.json().code, 'invalid_token', 'only Authorization: Bearer is read: a Basic header nobody takes is refused, not ignored')
  for (const malformed of ['Bearer', 'Bearer two words', 'bearer "quoted"']) {
    const res = await call(url, { headers: { authorization: malformed } })
    t.equal(res.json().code, 'invalid_token', `a malformed Bearer (${malformed}) is refused, not anonymous`)
  }

  for (const token of [active, revoked, shortLived, fromGrant]) t.notMatch(gw.logText(), token, 'no token reaches a log')
})
