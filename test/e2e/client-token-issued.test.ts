import t from 'tap'
import { decodeJwt, decodeProtectedHeader } from 'jose'
import { startTestGateway } from '../helpers/gateway.js'
import { startEcho, type Echo } from '../helpers/upstream.js'
import { call } from '../helpers/http.js'
import { ISSUER, SECRETS, basic, jwksFile, postForm, signingKey, tokenGatewayYaml } from '../helpers/tokens.js'

t.test('a client exchanges its id and secret for a token, and the token opens a client route', async t => {
  const upstream = await startEcho(t)
  const key = await signingKey()
  const gw = await startTestGateway(t, await tokenGatewayYaml({ upstream }), { files: { 'keys.json': jwksFile(key) } })

  const res = await postForm(`${gw.url}/oauth/token`, { grant_type: 'client_credentials' }, { authorization: basic('android', SECRETS.android) })
  t.equal(res.status, 200)
  t.equal(res.headers['cache-control'], 'no-store')
  t.match(res.headers['content-type'], /^application\/json/)
  const body = res.json<{ access_token: string, token_type: string, expires_in: number, scope: string }>()
  t.same(Object.keys(body).sort(), ['access_token', 'expires_in', 'scope', 'token_type'])
  t.equal(body.token_type, 'Bearer')
  t.equal(body.expires_in, 900)
  t.equal(body.scope, 'orders:read orders:write', 'no scope asked: every scope of the client')

  const header = decodeProtectedHeader(body.access_token)
  t.equal(header.alg, 'EdDSA')
  t.equal(header.kid, key.kid)
  const claims = decodeJwt(body.access_token)
  t.equal(claims.iss, ISSUER)
  t.equal(claims.sub, 'android')
  t.equal(claims.client_id, 'android')
  t.equal(claims.scope, 'orders:read orders:write')
  t.type(claims.jti, 'string')
  t.equal((claims.exp as number) - (claims.iat as number), 900)

  const ok = await call(`${gw.url}/api/orders/7`, { headers: { 'x-client-token': body.access_token } })
  t.equal(ok.status, 200, 'the token is accepted')
  const echo = ok.json<Echo>()
  t.equal(echo.headers['remote-client'], 'android')
  t.equal(echo.headers['remote-scopes'], 'orders:read orders:write')
  t.equal(echo.headers['remote-auth'], 'appToken')
  t.equal(echo.headers['x-client-token'], undefined, 'the token is not forwarded upstream')

  const viaForm = await postForm(`${gw.url}/oauth/token`, {
    grant_type: 'client_credentials',
    client_id: 'ios',
    client_secret: SECRETS.ios,
    scope: 'orders:read'
  })
  t.equal(viaForm.status, 200, 'client_id and client_secret in the body work too')
  t.equal(viaForm.json().scope, 'orders:read')
  const narrowed = await postForm(
    `${gw.url}/oauth/token`,
    { grant_type: 'client_credentials', scope: 'orders:read' },
    { authorization: basic('android', SECRETS.android) }
  )
  t.equal(decodeJwt(narrowed.json<{ access_token: string }>().access_token).scope, 'orders:read', 'a narrower scope can be asked for')

  t.notMatch(gw.logText(), SECRETS.android, 'the secret never reaches a log')
  t.notMatch(gw.logText(), body.access_token, 'the token never reaches a log')
})
