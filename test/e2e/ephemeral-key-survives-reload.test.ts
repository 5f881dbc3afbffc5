import t from 'tap'
import { writeFileSync } from 'node:fs'
import { startTestGateway } from '../helpers/gateway.js'
import { startEcho } from '../helpers/upstream.js'
import { call } from '../helpers/http.js'
import { SECRETS, basic, fetchToken, postForm, tokenGatewayYaml } from '../helpers/tokens.js'

t.test('without tokens.signingKeys, a client token issued before a reload is still taken after it', async t => {
  const upstream = await startEcho(t)
  const yaml = (await tokenGatewayYaml({ upstream })).replace('  signingKeys: keys.json\n', '')
  const gw = await startTestGateway(t, yaml)
  const token = await fetchToken(gw.url, 'android', SECRETS.android)
  const jwks = async (): Promise<unknown> => (await call(`${gw.url}/.well-known/jwks.json`)).json()
  const published = await jwks()

  writeFileSync(gw.gateway.config.file, yaml.replace('ttl: 15m', 'ttl: 10m'))
  t.ok((await gw.reload()).ok, 'the changed config is loaded')
  const fresh = await postForm(`${gw.url}/oauth/token`, { grant_type: 'client_credentials' }, { authorization: basic('android', SECRETS.android) })
  t.equal(fresh.json<{ expires_in: number }>().expires_in, 600, 'the new generation answers (its token ttl)')
  t.equal((await call(`${gw.url}/api/orders/1`, { headers: { 'x-client-token': token } })).status, 200, 'the token signed before the reload verifies')
  t.same(await jwks(), published, 'the same ephemeral key is published')
})
