import t from 'tap'
import { startTestGateway } from '../helpers/gateway.js'
import { DECISIONS_TOKEN, nginxRecipe } from '../helpers/decision-api.js'
import { call } from '../helpers/http.js'
import { NGINX, startNginx } from '../helpers/nginx.js'
import { oidcGatewayYaml, ScriptedBrowser, startOidcProvider } from '../helpers/oidc-provider.js'
import { freePort } from '../helpers/ports.js'
import { requires } from '../helpers/requires.js'
import { startEcho, type Echo } from '../helpers/upstream.js'

t.test('a browser logs in through nginx: the 401 with Location becomes the redirect, the session then passes', { skip: requires(NGINX) }, async t => {
  const port = await freePort()
  const origin = `http://127.0.0.1:${port}`
  const op = await startOidcProvider(t, { origins: [origin] })
  const upstream = await startEcho(t)
  const gatewayPort = await freePort()
  const gw = await startTestGateway(t, oidcGatewayYaml({ port: gatewayPort, provider: op, upstream })
    .replace('  admin: 127.0.0.1:0\n', `  admin: 127.0.0.1:0\n  decisions: 127.0.0.1:0\n  decisionsToken: ${DECISIONS_TOKEN}\n`))
  await startNginx(
    t,
    port,
    nginxRecipe({ port, decisions: (gw.decisionsUrl as string).slice('http://'.length), upstream, token: DECISIONS_TOKEN, login: gw.url })
  )

  const xhr = await call(`${origin}/app/orders`, { headers: { accept: 'application/json' } })
  t.equal(xhr.status, 401, 'not a page load: 401')

  const browser = new ScriptedBrowser()
  const form = await browser.go(`${origin}/app/orders`)
  t.ok(form.url.startsWith(`${op.url}/`), 'a page load is sent to the provider\'s login')
  const page = await browser.signIn(form, 'alice')
  t.equal(page.status, 200, 'back through nginx, with a session')
  t.equal(page.url, `${origin}/app/orders`, 'on the page first asked for')
  const echo = JSON.parse(page.text) as Echo
  t.equal(echo.headers['remote-user'], 'alice', 'the app is told who logged in')
})
