import t from 'tap'
import { TEST_SERVER, startTestGateway } from '../helpers/gateway.js'
import { startCountingEcho, type Echo } from '../helpers/upstream.js'
import { call } from '../helpers/http.js'
import { jwtConfig, makeKey, sign, startJwksServer } from '../helpers/jwt.js'

t.test('identity from a JWT: userClaim, scope string or scp list, mapped claims, and no header splitting', async t => {
  const echo = await startCountingEcho(t)
  const upstream = echo.url
  const key = await makeKey('ES256', 'k1')
  const jwks = await startJwksServer(t, [key.jwk])
  const identity = `identity:
  claims: { email: Remote-Email, groups: Remote-Groups }`
  const gw = await startTestGateway(t, jwtConfig(TEST_SERVER, upstream, `jwksUri: "${jwks.url}", userClaim: preferred_username`, identity))
  const get = async (token: string, headers: Record<string, string> = {}): Promise<{ status: number, echo: Echo, body: Record<string, unknown> }> => {
    const res = await call(`${gw.url}/api/orders`, { headers: { authorization: `Bearer ${token}`, ...headers } })
    const body = res.json()
    return { status: res.status, echo: body as unknown as Echo, body }
  }

  const full = await get(await sign(key, {
    preferred_username: 'alice@corp', scope: 'orders:read  orders:write', email: 'alice@corp.example', groups: ['staff', 'admins']
  }), { 'remote-user': 'root', 'remote-groups': 'superusers', remote_user: 'root' })
  t.equal(full.status, 200)
  t.equal(full.echo.headers['remote-user'], 'alice@corp', 'Remote-User from userClaim, never the client-sent one')
  t.equal(full.echo.headers['remote-scopes'], 'orders:read orders:write', 'scope string: space-separated')
  t.equal(full.echo.headers['remote-email'], 'alice@corp.example', 'mapped claim')
  t.equal(full.echo.headers['remote-groups'], 'staff,admins', 'array claim joined with commas, not the client-sent value')
  t.equal(full.echo.headers.remote_user, undefined, 'underscore variants are stripped')

  const scp = await get(await sign(key, { preferred_username: 'bob', scp: ['orders:read', 'profile'] }))
  t.equal(scp.status, 200)
  t.equal(scp.echo.headers['remote-scopes'], 'orders:read profile', 'scp list, when there is no scope claim')
  t.equal(scp.echo.headers['remote-email'], undefined, 'an absent claim sets no header')

  const reached = echo.requests
  const split = await get(await sign(key, { preferred_username: 'carol', email: 'carol@corp.example\r\nRemote-User: root' }))
  t.equal(split.status, 401, 'a claim with CR/LF is refused, never forwarded')
  t.equal(split.body.code, 'invalid_token')
  const splitUser = await get(await sign(key, { preferred_username: 'dave\nRemote-User: root' }))
  t.equal(splitUser.status, 401, 'a user id with a line break is refused')
  t.equal(splitUser.body.code, 'invalid_token')

  const noUser = await get(await sign(key, { sub: 'erin' }))
  t.equal(noUser.status, 401, 'no userClaim in the token: 401')
  t.equal(noUser.body.code, 'invalid_token')
  t.equal(noUser.body.detail, 'token has no preferred_username claim')
  const badScope = await get(await sign(key, { preferred_username: 'frank', scope: 42 }))
  t.equal(badScope.status, 401, 'a scope claim that is neither a string nor a list: 401')
  t.equal(badScope.body.code, 'invalid_token')
  t.equal(echo.requests, reached, 'no refused token reached the upstream')
})
