import t from 'tap'
import { startTestGateway } from '../helpers/gateway.js'
import { startEcho } from '../helpers/upstream.js'
import { call } from '../helpers/http.js'
import { freePort } from '../helpers/ports.js'
import { openWs, startWsUpstream } from '../helpers/websocket.js'
import { logIn, oidcGatewayYaml, ScriptedBrowser, startOidcProvider } from '../helpers/oidc-provider.js'

t.test('oidc: a state-changing request or WebSocket on the session cookie must be same-origin', async t => {
  const port = await freePort()
  const origin = `http://127.0.0.1:${port}`
  const op = await startOidcProvider(t, { origins: [origin] })
  const upstream = await startEcho(t)
  await startTestGateway(t, oidcGatewayYaml({ port, provider: op, upstream }))
  const browser = new ScriptedBrowser()
  const { sid } = await logIn(browser, origin, '/app/', 'alice')
  const cookie = `gatehouse-session=${sid}`
  const post = async (headers: Record<string, string>): Promise<{ status: number, code: unknown }> => {
    const res = await call(`${origin}/app/orders`, { method: 'POST', headers: { cookie, 'content-type': 'application/json', ...headers }, body: '{}' })
    return { status: res.status, code: res.status === 200 ? undefined : res.json().code }
  }

  t.same(await post({ origin: 'https://evil.example' }), { status: 403, code: 'csrf_failed' }, 'a cross-site Origin is refused')
  t.same(
    await post({ 'sec-fetch-site': 'cross-site', origin }),
    { status: 403, code: 'csrf_failed' },
    'Sec-Fetch-Site: cross-site is refused, whatever Origin says'
  )
  t.same(await post({ 'sec-fetch-site': 'same-site' }), { status: 403, code: 'csrf_failed' }, 'a sibling subdomain is another origin')
  t.same(await post({ origin: 'null' }), { status: 403, code: 'csrf_failed' }, 'Origin: null is refused')
  t.same(await post({}), { status: 403, code: 'csrf_failed' }, 'no Origin, Sec-Fetch-Site or Referer: cannot be shown same-origin')
  t.same(await post({ referer: 'https://evil.example/form' }), { status: 403, code: 'csrf_failed' }, 'a cross-site Referer is refused')
  t.same(await post({ origin }), { status: 200, code: undefined }, 'same Origin passes')
  t.same(await post({ 'sec-fetch-site': 'same-origin' }), { status: 200, code: undefined }, 'Sec-Fetch-Site: same-origin passes')
  t.same(await post({ referer: `${origin}/app/form` }), { status: 200, code: undefined }, 'a same-origin Referer passes')
  t.equal(
    (await call(`${origin}/app/orders`, { headers: { cookie, origin: 'https://evil.example', accept: 'application/json' } })).status,
    200,
    'a GET is not state-changing: no check'
  )

  const logout = await call(`${origin}/oauth2/logout`, { method: 'POST', headers: { cookie, origin: 'https://evil.example' } })
  t.equal(logout.status, 403, 'another site cannot log the browser out')
  t.equal(logout.json().code, 'csrf_failed')
  t.equal((await call(`${origin}/app/x`, { headers: { cookie, accept: 'application/json' } })).status, 200, 'the session is still there')
})

t.test('oidc: a WebSocket opened on the session cookie must come from this origin', async t => {
  const port = await freePort()
  const origin = `http://127.0.0.1:${port}`
  const op = await startOidcProvider(t, { origins: [origin] })
  const ws = await startWsUpstream(t)
  await startTestGateway(t, oidcGatewayYaml({ port, provider: op, upstream: ws.url, route: 'websocket: true' }))
  const { sid } = await logIn(new ScriptedBrowser(), origin, '/app/', 'alice')
  const cookie = `gatehouse-session=${sid}`

  const hijack = await openWs(`${origin}/app/live`, { headers: { cookie, origin: 'https://evil.example' } })
  t.equal(hijack.kind, 'refused', 'a cross-site WebSocket is refused')
  if (hijack.kind === 'refused') {
    t.equal(hijack.status, 403)
    t.equal(JSON.parse(hijack.body).code, 'csrf_failed')
  }
  const own = await openWs(`${origin}/app/live`, { headers: { cookie, origin } })
  t.equal(own.kind, 'open', 'a same-origin WebSocket opens')
  if (own.kind === 'open') {
    t.equal(own.hello.headers['remote-user'], 'alice')
    own.ws.terminate()
  }
  t.equal(ws.handshakes.length, 1, 'the refused one never reached the upstream')
})
