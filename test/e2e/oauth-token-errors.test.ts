import t from 'tap'
import { startTestGateway } from '../helpers/gateway.js'
import { startEcho } from '../helpers/upstream.js'
import { call } from '../helpers/http.js'
import { SECRETS, basic, jwksFile, postForm, signingKey, tokenGatewayYaml } from '../helpers/tokens.js'

t.test('the token endpoint refuses in RFC 6749 §5.2 form', async t => {
  const upstream = await startEcho(t)
  const gw = await startTestGateway(t, await tokenGatewayYaml({ upstream }), { files: { 'keys.json': jwksFile(await signingKey()) } })
  const url = `${gw.url}/oauth/token`
  const grant = { grant_type: 'client_credentials' }

  const cases: Array<[name: string, form: Record<string, string>, headers: Record<string, string>, status: number, error: string]> = [
    ['wrong secret', grant, { authorization: basic('android', 'ghs_not-the-secret') }, 401, 'invalid_client'],
    ['wrong secret in the body', { ...grant, client_id: 'android', client_secret: 'ghs_not-the-secret' }, {}, 401, 'invalid_client'],
    ['unknown client', grant, { authorization: basic('nobody', SECRETS.android) }, 401, 'invalid_client'],
    ['disabled client', grant, { authorization: basic('banned', SECRETS.disabled) }, 401, 'invalid_client'],
    ['expired client', grant, { authorization: basic('old-partner', SECRETS.expired) }, 401, 'invalid_client'],
    ['no client authentication', grant, {}, 401, 'invalid_client'],
    [
      'unsupported grant',
      { grant_type: 'password', username: 'u', password: 'p' },
      { authorization: basic('android', SECRETS.android) },
      400,
      'unsupported_grant_type'
    ],
    ['scope escalation', { ...grant, scope: 'orders:read admin' }, { authorization: basic('ios', SECRETS.ios) }, 400, 'invalid_scope'],
    ['no grant_type', {}, { authorization: basic('android', SECRETS.android) }, 400, 'invalid_request'],
    [
      'both Basic and body credentials',
      { ...grant, client_id: 'android', client_secret: SECRETS.android },
      { authorization: basic('android', SECRETS.android) },
      400,
      'invalid_request'
    ]
  ]
  for (const [name, form, headers, status, error] of cases) {
    const res = await postForm(url, form, headers)
    t.equal(res.status, status, `${name}: ${status}`)
    t.equal(res.json().error, error, `${name}: ${error}`)
    t.type(res.json().error_description, 'string')
    t.equal(res.json().access_token, undefined, `${name}: no token`)
    t.equal(res.headers['cache-control'], 'no-store')
    t.match(res.headers['content-type'], /^application\/json/, `${name}: an OAuth body, not problem+json`)
    if (status === 401) t.equal(res.headers['www-authenticate'], 'Basic realm="gatehouse"', `${name}: Basic challenge`)
  }

  const json = await call(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: basic('android', SECRETS.android) },
    body: '{"grant_type":"client_credentials"}'
  })
  t.equal(json.status, 400, 'a JSON body is not a token request')
  t.equal(json.json().error, 'invalid_request')
  const twice = await call(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic('android', SECRETS.android) },
    body: 'grant_type=client_credentials&grant_type=password'
  })
  t.equal(twice.json().error, 'invalid_request', 'a parameter given twice is invalid')

  t.notMatch(gw.logText(), SECRETS.android, 'no secret in the logs')
  t.notMatch(gw.logText(), 'ghs_not-the-secret', 'not even a wrong one')
})
