import t from 'tap'
import { startTestGateway } from '../helpers/gateway.js'
import { startEcho, type Echo } from '../helpers/upstream.js'
import { freePort } from '../helpers/ports.js'
import { JWT_CLIENT_ID, logIn, oidcGatewayYaml, ScriptedBrowser, startOidcProvider } from '../helpers/oidc-provider.js'

t.test('oidc: the gateway proves itself at the token endpoint with private_key_jwt', async t => {
  const port = await freePort()
  const origin = `http://127.0.0.1:${port}`
  const op = await startOidcProvider(t, { origins: [origin] })
  const upstream = await startEcho(t)
  const gw = await startTestGateway(t, oidcGatewayYaml({ port, provider: op, upstream, client: `clientId: ${JWT_CLIENT_ID}, privateKey: '${op.privateJwk}'` }))
  const { page } = await logIn(new ScriptedBrowser(), origin, '/app/', 'carol')
  t.equal(page.url, `${origin}/app/`)
  t.equal((JSON.parse(page.text) as Echo).headers['remote-user'], 'carol', 'the code was exchanged with a signed client assertion')
  t.equal(op.grants.authorization_code, 1)
  t.notOk(gw.logText().includes(JSON.parse(op.privateJwk).d as string), 'the private key is never logged')
})
