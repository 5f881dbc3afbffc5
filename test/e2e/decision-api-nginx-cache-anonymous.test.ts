import t from 'tap'
import { startTestGateway, KEYS } from '../helpers/gateway.js'
import { DECISIONS_TOKEN, decisionsYaml, nginxRecipe } from '../helpers/decision-api.js'
import { call } from '../helpers/http.js'
import { NGINX, startNginx } from '../helpers/nginx.js'
import { freePort } from '../helpers/ports.js'
import { requires } from '../helpers/requires.js'
import { startEcho, type Echo } from '../helpers/upstream.js'
import { userToken } from '../helpers/user-token.js'

// A public route's allow for nobody is cacheable; a request that carries a credential must still be decided as itself.
t.test('nginx caching a public route\'s anonymous allow never serves it to a request with a credential', { skip: requires(NGINX) }, async t => {
  const upstream = await startEcho(t)
  // Public, with the authenticators it reads when a credential comes: absent is fine, present is checked.
  const open = '  - { match: /open/*, upstream: web, policy: public, client: [appKey], user: [idp] }\n'
  const gw = await startTestGateway(t, decisionsYaml(upstream, '  decisionsCacheTtl: 30s\n') + open)
  const port = await freePort()
  const nginx = await startNginx(
    t,
    port,
    nginxRecipe({ port, decisions: (gw.decisionsUrl as string).slice('http://'.length), upstream, token: DECISIONS_TOKEN, cache: true })
  )
  const decisions = (): number => gw.logs.filter(l => l.msg === 'decision').length
  const get = async (headers: Record<string, string> = {}): Promise<{ status: number, told: Echo['headers'] | undefined }> => {
    const res = await call(`${nginx.url}/open/page`, { headers })
    return { status: res.status, told: res.status === 200 ? res.json<Echo>().headers : undefined }
  }

  const anonymous = await get()
  t.equal(anonymous.status, 200)
  t.notOk(anonymous.told?.['remote-user'] ?? anonymous.told?.['remote-client'], 'told as nobody')
  const asked = decisions()
  t.equal((await get()).status, 200)
  t.equal(decisions(), asked, 'the anonymous allow was reused: gatehouse not asked again')

  const alice = await get({ authorization: `Bearer ${await userToken('alice')}` })
  t.equal(alice.told?.['remote-user'], 'alice', 'a user token on the same URI: decided as alice, not served the anonymous allow')
  const android = await get({ 'x-api-key': KEYS.android })
  t.equal(android.told?.['remote-client'], 'android', 'an API key: decided as its client')
  t.equal((await get({ authorization: 'Bearer not-a-token' })).status, 401, 'a bad token: 401, never the cached anonymous allow')
  t.equal((await get({ 'x-api-key': 'gh_wrong' })).status, 401, 'a wrong key: 401')
  t.equal((await get({ cookie: 'gatehouse-session=forged' })).status, 200, 'a cookie no authenticator reads: still public')
  const again = await get()
  t.notOk(again.told?.['remote-user'] ?? again.told?.['remote-client'], 'and nobody is still told as nobody')
})
