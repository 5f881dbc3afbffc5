import t from 'tap'
import { ConfigError, parseConfig } from '../../src/config/load.js'
import { TEST_SERVER, startTestGateway } from '../helpers/gateway.js'
import { startEcho } from '../helpers/upstream.js'
import { call } from '../helpers/http.js'
import { ISSUER, makeKey, sign, startJwksServer } from '../helpers/jwt.js'

const config = (idp: string, jwksUri = 'https://idp.test/jwks.json'): string => `authenticators:
  idp: { type: jwt, issuer: "${ISSUER}", jwksUri: "${jwksUri}"${idp} }
upstreams:
  orders: { url: "http://127.0.0.1:9" }
routes:
  - match: /api/*
    upstream: orders
    policy: user
    user: [idp]
`

function issuesOf (yaml: string): string[] {
  try {
    parseConfig(yaml, '/etc/gatehouse/gateway.config.yaml', {})
  } catch (err) {
    if (err instanceof ConfigError) return err.message.split('\n')
    throw err
  }
  return []
}

t.test('a jwt authenticator must say which audience it accepts, or audience: false on purpose', async t => {
  t.match(issuesOf(config('')), [
    /^\/etc\/gatehouse\/gateway\.config\.yaml:2:8 authenticators\.idp\.audience: is required for a jwt authenticator: .*audience: false/
  ], 'no audience: refused with file:line:col')
  t.same(issuesOf(config(', audience: orders-api')), [], 'one audience')
  t.same(issuesOf(config(', audience: [orders-api, billing-api]')), [], 'a list')
  t.same(issuesOf(config(', audience: false')), [], 'false: any audience, on purpose')
  t.match(issuesOf(config(', audience: true')), [/authenticators\.idp\.audience: must be a string, a list of strings, or false/])
  t.match(issuesOf(config(', audience: ""')), [/authenticators\.idp\.audience: must be a string, a list of strings, or false/])
  t.match(issuesOf(config(', audience: []')), [/authenticators\.idp\.audience: must be a string, a list of strings, or false/])
})

t.test('audience: false accepts a token for any audience; a configured one is enforced', async t => {
  const upstream = await startEcho(t)
  const key = await makeKey('ES256', 'k1')
  const jwks = await startJwksServer(t, [key.jwk])
  const yaml = (aud: string): string => `${TEST_SERVER}${config(aud, jwks.url).replace('http://127.0.0.1:9', upstream)}`
  const any = await startTestGateway(t, yaml(', audience: false'))
  const one = await startTestGateway(t, yaml(', audience: orders-api'))
  const token = await sign(key, { aud: 'billing-api' })
  t.equal((await call(`${any.url}/api/x`, { headers: { authorization: `Bearer ${token}` } })).status, 200, 'audience: false: any aud')
  t.equal((await call(`${one.url}/api/x`, { headers: { authorization: `Bearer ${token}` } })).status, 401, 'audience: orders-api: another aud is refused')
})
