import t from 'tap'
import { TEST_SERVER, startTestGateway } from '../helpers/gateway.js'
import { startEcho } from '../helpers/upstream.js'
import { call } from '../helpers/http.js'
import { SECRETS, fetchToken, tokenGatewayYaml } from '../helpers/tokens.js'

t.test('without tokens.signingKeys an ephemeral key signs, with a warning only when tokens are used', async t => {
  const upstream = await startEcho(t)
  const yaml = (await tokenGatewayYaml({ upstream })).replace('  signingKeys: keys.json\n', '')
  const gw = await startTestGateway(t, yaml)
  const warning = gw.logs.find(l => l.level === 40 && String(l.msg).includes('ephemeral key'))
  t.ok(warning !== undefined, 'a warning says tokens will not survive a restart')
  const token = await fetchToken(gw.url, 'android', SECRETS.android)
  t.equal((await call(`${gw.url}/api/orders/1`, { headers: { 'x-client-token': token } })).status, 200, 'the ephemeral key signs and verifies')
  t.equal((await call(`${gw.url}/.well-known/jwks.json`)).json<{ keys: unknown[] }>().keys.length, 1, 'and is published')

  const plain = await startTestGateway(t, `${TEST_SERVER}upstreams:
  orders: { url: "${upstream}" }
routes:
  - match: /api/public/*
    upstream: orders
    policy: public
`)
  t.notOk(plain.logs.some(l => String(l.msg).includes('ephemeral key')), 'a config that never uses tokens is not warned')
  // Made by the first request that needs it rather than at start: still published, and the same key after.
  const jwks = (await call(`${plain.url}/.well-known/jwks.json`)).json<{ keys: Array<{ kid: string }> }>().keys
  t.equal(jwks.length, 1, 'a config that never uses tokens still publishes a key')
  t.same((await call(`${plain.url}/.well-known/jwks.json`)).json<{ keys: Array<{ kid: string }> }>().keys, jwks, 'the same key on every request')
})
