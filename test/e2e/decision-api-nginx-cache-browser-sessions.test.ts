import t from 'tap'
import { startTestGateway } from '../helpers/gateway.js'
import { DECISIONS_TOKEN, nginxRecipe } from '../helpers/decision-api.js'
import { NGINX, startNginx } from '../helpers/nginx.js'
import { logIn, oidcGatewayYaml, ScriptedBrowser, startOidcProvider } from '../helpers/oidc-provider.js'
import { freePort } from '../helpers/ports.js'
import { requires } from '../helpers/requires.js'
import { startEcho, type Echo } from '../helpers/upstream.js'

// A browser session can end at the gateway (logout, expiry) without its cookie changing: its allows are never reused.
t.test('two browser sessions through nginx with the decision cache on: each decided each time, never told as the other', { skip: requires(NGINX) }, async t => {
  const port = await freePort()
  const origin = `http://127.0.0.1:${port}`
  const op = await startOidcProvider(t, { origins: [origin] })
  const upstream = await startEcho(t)
  const gw = await startTestGateway(t, oidcGatewayYaml({ port: await freePort(), provider: op, upstream })
    .replace('  admin: 127.0.0.1:0\n', `  admin: 127.0.0.1:0\n  decisions: 127.0.0.1:0\n  decisionsToken: ${DECISIONS_TOKEN}\n  decisionsCacheTtl: 60s\n`))
  await startNginx(
    t,
    port,
    nginxRecipe({ port, decisions: (gw.decisionsUrl as string).slice('http://'.length), upstream, token: DECISIONS_TOKEN, login: gw.url, cache: true })
  )
  const decisions = (): number => gw.logs.filter(l => l.msg === 'decision').length

  const alice = new ScriptedBrowser()
  const bob = new ScriptedBrowser()
  t.equal(JSON.parse((await logIn(alice, origin, '/app/orders', 'alice')).page.text).headers['remote-user'], 'alice')
  t.equal(JSON.parse((await logIn(bob, origin, '/app/orders', 'bob')).page.text).headers['remote-user'], 'bob')

  const before = decisions()
  for (let round = 0; round < 3; round++) {
    for (const [browser, user] of [[alice, 'alice'], [bob, 'bob']] as const) {
      const page = await browser.go(`${origin}/app/orders`)
      t.equal(page.status, 200, `round ${round}: ${user} passes`)
      t.equal((JSON.parse(page.text) as Echo).headers['remote-user'], user, `round ${round}: ${user} is told as ${user}`)
    }
  }
  t.equal(decisions() - before, 6, 'six page loads, six decisions: a session\'s allow is never taken from the cache')
})
