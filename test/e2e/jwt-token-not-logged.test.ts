import t from 'tap'
import { TEST_SERVER, startTestGateway } from '../helpers/gateway.js'
import { startEcho } from '../helpers/upstream.js'
import { call } from '../helpers/http.js'
import { jwtConfig, makeKey, sign, startJwksServer } from '../helpers/jwt.js'

t.test('a refused token is logged with its reason, and no token (or part of one) ever reaches a log', async t => {
  const upstream = await startEcho(t)
  const key = await makeKey('RS256', 'k1')
  const other = await makeKey('RS256', 'k1')
  const jwks = await startJwksServer(t, [key.jwk])
  const gw = await startTestGateway(t, jwtConfig(TEST_SERVER, upstream, `jwksUri: "${jwks.url}"`))
  const now = Math.floor(Date.now() / 1000)
  const tokens = {
    valid: await sign(key),
    expired: await sign(key, { exp: now - 60 }),
    forged: await sign(other),
    malformed: `${(await sign(key)).split('.')[0]}.bm90IGpzb24.c2ln`
  }
  const statuses: Record<string, number> = {}
  for (const [name, token] of Object.entries(tokens)) {
    statuses[name] = (await call(`${gw.url}/api/orders?x=1`, { headers: { authorization: `Bearer ${token}` } })).status
  }
  t.same(statuses, { valid: 200, expired: 401, forged: 401, malformed: 401 })

  const lines = gw.logs.filter(l => l.msg === 'request')
  t.match(
    lines.map(l => l.reason),
    [undefined, 'invalid_token: token expired', 'invalid_token: bad signature', 'invalid_token: malformed token'],
    'one access line each, with the reason'
  )
  t.same(lines.slice(1).map(l => l.authenticator), ['idp', 'idp', 'idp'], 'and the authenticator that decided')
  t.equal(lines[0]?.user, 'alice')

  const text = gw.logText()
  for (const [name, token] of Object.entries(tokens)) {
    for (const part of token.split('.').filter(p => p.length > 8)) t.notOk(text.includes(part), `${name}: no part of the token in the logs`)
  }
})
