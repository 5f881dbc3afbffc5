import t from 'tap'
import { startTestGateway } from '../helpers/gateway.js'
import { DECISIONS_TOKEN, nginxRecipe } from '../helpers/decision-api.js'
import { call, type Response } from '../helpers/http.js'
import { NGINX, startNginx } from '../helpers/nginx.js'
import { freePort } from '../helpers/ports.js'
import { requires } from '../helpers/requires.js'
import { SECRETS, fetchToken, jwksFile, postForm, signingKey, tokenGatewayYaml } from '../helpers/tokens.js'
import { startEcho, type Echo } from '../helpers/upstream.js'

const TTL_S = 2
// How much later than the TTL a busy machine may take to show it: nginx's clock, the polling, the request itself.
const LATE_MS = 15_000

t.test('a token revoked while nginx holds its allow stops working once the cache lifetime has passed', { skip: requires(NGINX) }, async t => {
  const upstream = await startEcho(t)
  const yaml = (await tokenGatewayYaml({ upstream, bearer: true }))
    .replace('  admin: 127.0.0.1:0\n', `  admin: 127.0.0.1:0\n  decisions: 127.0.0.1:0\n  decisionsToken: ${DECISIONS_TOKEN}\n  decisionsCacheTtl: ${TTL_S}s\n`)
  const gw = await startTestGateway(t, yaml, { files: { 'keys.json': jwksFile(await signingKey()) } })
  const port = await freePort()
  const nginx = await startNginx(
    t,
    port,
    nginxRecipe({ port, decisions: (gw.decisionsUrl as string).slice('http://'.length), upstream, token: DECISIONS_TOKEN, cache: true })
  )
  const decisions = (): number => gw.logs.filter(l => l.msg === 'decision').length
  const token = await fetchToken(gw.url, 'android', SECRETS.android)
  const get = async (): Promise<Response> => await call(`${nginx.url}/api/orders/1`, { headers: { authorization: `Bearer ${token}` } })

  const first = await get()
  t.equal(first.status, 200)
  t.equal(first.json<Echo>().headers['remote-client'], 'android')
  const cachedAt = Date.now()
  const asked = decisions()
  t.equal((await get()).status, 200)
  t.equal(decisions(), asked, 'the allow is reused from nginx\'s cache')

  const revoked = await postForm(`${gw.url}/oauth/revoke`, { token, client_id: 'android', client_secret: SECRETS.android })
  t.equal(revoked.status, 200)
  t.equal((await call(`${gw.url}/api/orders/1`, { headers: { authorization: `Bearer ${token}` } })).status, 401, 'gatehouse itself refuses it at once')

  let status = 200
  while (status === 200 && Date.now() - cachedAt < TTL_S * 1000 + LATE_MS) {
    status = (await get()).status
    if (status === 200) await new Promise(resolve => setTimeout(resolve, 100))
  }
  const after = Date.now() - cachedAt
  t.equal(status, 401, `refused through nginx ${after} ms after its allow was cached (lifetime ${TTL_S} s)`)
  t.ok(decisions() > asked, 'gatehouse was asked again once the cached allow expired')
  t.equal((await get()).status, 401, 'and stays refused')
})
