import t from 'tap'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { startTestGateway } from '../helpers/gateway.js'
import { freePort } from '../helpers/ports.js'
import { DRF_EXAMPLE, startDrf } from '../helpers/drf.js'
import { DJANGO, requires } from '../helpers/requires.js'
import { logIn, ScriptedBrowser, SESSION_KEY, startOidcProvider, WEB_CLIENT } from '../helpers/oidc-provider.js'

t.test('the example Django admin behind the browser login: RemoteUserBackend, staff from the provider\'s groups', { skip: requires(DJANGO) }, async t => {
  const port = await freePort()
  const origin = `http://127.0.0.1:${port}`
  const op = await startOidcProvider(t, { origins: [origin], claims: { alice: { groups: ['admin', 'staff'] }, bob: { groups: ['staff'] } } })
  const drf = await startDrf(t)
  await startTestGateway(t, readFileSync(join(DRF_EXAMPLE, 'gateway.admin.config.yaml'), 'utf8'), {
    env: {
      GATEHOUSE_LISTEN: `127.0.0.1:${port}`,
      GATEHOUSE_ADMIN: '127.0.0.1:0',
      DRF_UPSTREAM: drf.url,
      DRF_OIDC_ISSUER: op.url,
      DRF_OIDC_CLIENT_ID: WEB_CLIENT.id,
      DRF_OIDC_SECRET: WEB_CLIENT.secret,
      GATEHOUSE_SESSION_KEY: SESSION_KEY
    }
  })

  const alice = new ScriptedBrowser()
  const { page } = await logIn(alice, origin, '/admin/', 'alice')
  t.equal(page.status, 200, drf.output())
  t.equal(page.url, `${origin}/admin/`, 'back on the admin after login')
  t.match(page.text, /Site administration/, 'alice, in the provider\'s admin group, is a Django admin')
  const users = await alice.go(`${origin}/admin/auth/user/`)
  t.match(users.text, />alice</, 'RemoteUserBackend made her Django user')

  const bob = new ScriptedBrowser()
  const denied = await logIn(bob, origin, '/admin/', 'bob')
  t.equal(denied.page.url, `${origin}/admin/login/?next=/admin/`, 'bob is logged in but not staff: Django sends him to its login page')
  t.match(denied.page.text, /You are authenticated as bob, but are not authorized/)

  const direct = await alice.go(`${drf.url}/admin/`)
  t.not(direct.text.includes('Site administration'), true, 'reached directly, without Remote-User, the app logs its own session out (RemoteUserMiddleware)')
})
