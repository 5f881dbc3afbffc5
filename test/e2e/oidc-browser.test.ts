import t from 'tap'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Page } from 'playwright-core'
import { launchBrowser } from '../helpers/browser.js'
import { startTestGateway } from '../helpers/gateway.js'
import { startEcho, type Echo } from '../helpers/upstream.js'
import { freePort } from '../helpers/ports.js'
import { oidcGatewayYaml, startOidcProvider } from '../helpers/oidc-provider.js'
import { CHROMIUM, requires } from '../helpers/requires.js'

const launch = launchBrowser

const echoOf = async (page: Page): Promise<Echo> => JSON.parse(await page.locator('body').innerText()) as Echo

t.test(
  "oidc in a real browser: log in through the provider's form, land back, Remote-User upstream, cross-site POST refused, log out",
  { skip: requires(CHROMIUM) },
  async t => {
    const port = await freePort()
    const origin = `http://127.0.0.1:${port}`
    const op = await startOidcProvider(t, { origins: [origin] })
    const upstream = await startEcho(t)
    await startTestGateway(t, oidcGatewayYaml({ port, provider: op, upstream }))
    // Another origin of the same site (another port): its cookies are the gateway's too, its requests are not.
    const attacker = createServer((_req, res) => {
      res
        .writeHead(200, { 'content-type': 'text/html' })
        .end(
          `<form id="f" method="post" action="${origin}/app/orders"><input name="amount" ` +
            'value="1000"></form><script>document.getElementById(\'f\').submit()</script>'
        )
    })
    await new Promise<void>(resolve => attacker.listen(0, '127.0.0.1', resolve))
    t.teardown(
      () =>
        new Promise<void>(resolve => {
          attacker.closeAllConnections()
          attacker.close(() => resolve())
        })
    )

    const context = await launch(t)
    const page = await context.newPage()

    await page.goto(`${origin}/app/dashboard?tab=2`)
    t.equal(new URL(page.url()).origin, op.url, 'a protected page sends the browser to the provider')
    await page.fill('input[name=login]', 'alice')
    await page.fill('input[name=password]', 'secret')
    await Promise.all([page.waitForURL(`${origin}/app/dashboard?tab=2`), page.click('button[type=submit]')])
    t.equal(page.url(), `${origin}/app/dashboard?tab=2`, 'back on the page first asked for')
    const echo = await echoOf(page)
    t.equal(echo.headers['remote-user'], 'alice', 'Remote-User reached the upstream')
    const session = (await context.cookies(origin)).find(c => c.name === 'gatehouse-session')
    t.ok(session, 'the session cookie')
    t.equal(session?.httpOnly, true, 'HttpOnly')
    t.equal(session?.sameSite, 'Lax', 'SameSite=Lax')

    await page.goto(`http://127.0.0.1:${(attacker.address() as AddressInfo).port}/`)
    await page.waitForURL(`${origin}/app/orders`)
    const refused = JSON.parse(await page.locator('body').innerText()) as { code: string, status: number }
    t.equal(refused.code, 'csrf_failed', 'a form posted from another origin is refused, though the cookie went with it')

    await page.goto(`${origin}/app/dashboard`)
    t.equal((await echoOf(page)).headers['remote-user'], 'alice', 'still logged in')
    await page.evaluate(() => {
      document.body.innerHTML = '<form method="post" action="/oauth2/logout"><button id="logout">Log out</button></form>'
    })
    await Promise.all([page.waitForURL(u => u.href.startsWith(`${op.url}/session/end`)), page.click('#logout')])
    t.match(page.url(), `${op.url}/session/end`, 'logout went on to the provider')
    await Promise.all([page.waitForURL(`${origin}/`), page.click('button[value=yes]')])
    t.equal(page.url(), `${origin}/`, 'the provider sent the browser back')
    t.notOk(
      (await context.cookies(origin)).some(c => c.name === 'gatehouse-session'),
      'the session cookie is gone'
    )

    await page.goto(`${origin}/app/dashboard`)
    t.equal(new URL(page.url()).origin, op.url, 'the protected page asks for a login again')
    t.equal(await page.locator('input[name=login]').count(), 1, "with the login form: the provider's session ended too")
  }
)
