import t from 'tap'
import { startTestGateway } from '../helpers/gateway.js'
import { startEcho } from '../helpers/upstream.js'
import { call } from '../helpers/http.js'
import { freePort } from '../helpers/ports.js'
import { logIn, oidcGatewayYaml, ScriptedBrowser, startOidcProvider } from '../helpers/oidc-provider.js'

t.test('oidc: csrf: strict refuses a session\'s GET from another origin; a lax route lets a link from another site through', async t => {
  const port = await freePort()
  const origin = `http://127.0.0.1:${port}`
  const op = await startOidcProvider(t, { origins: [origin] })
  const upstream = await startEcho(t)
  // /app/* is strict (its GETs change state); /lax/* keeps the default.
  await startTestGateway(t, `${oidcGatewayYaml({ port, provider: op, upstream, route: 'csrf: strict' })}  - match: /lax/*
    upstream: app
    policy: user
    user: [browser]
`)
  const { sid } = await logIn(new ScriptedBrowser(), origin, '/lax/', 'alice')
  const cookie = `gatehouse-session=${sid}`
  const foreign = ['https://evil.example', 'http://127.0.0.1:1', `http://localhost:${port}`, 'null']
  const attacks: Array<Record<string, string>> = [
    { 'sec-fetch-site': 'cross-site' },
    { 'sec-fetch-site': 'same-site' },
    { 'sec-fetch-site': 'cross-site', origin }
  ]
  for (const other of foreign) attacks.push({ origin: other }, { referer: `${other}/page` }, { 'sec-fetch-site': 'cross-site', referer: `${other}/page` })
  attacks.push({ referer: 'not a url' })
  const own: Array<Record<string, string>> = [
    {},
    { 'sec-fetch-site': 'same-origin' },
    { 'sec-fetch-site': 'none' },
    { origin },
    { referer: `${origin}/app/list` },
    { 'sec-fetch-site': 'same-origin', referer: 'https://evil.example/' }
  ]
  const ask = async (method: string, path: string, headers: Record<string, string>): Promise<{ status: number, code: unknown }> => {
    const res = await call(`${origin}${path}`, { method, headers: { cookie, accept: 'application/json', ...headers } })
    return { status: res.status, code: res.status === 200 || method === 'HEAD' ? undefined : res.json().code }
  }

  for (const headers of attacks) {
    t.same(await ask('GET', '/app/unsubscribe?list=all', headers), { status: 403, code: 'csrf_failed' }, `strict GET refused: ${JSON.stringify(headers)}`)
    t.equal((await ask('HEAD', '/app/unsubscribe', headers)).status, 403, `strict HEAD refused: ${JSON.stringify(headers)}`)
    t.same(await ask('GET', '/lax/page', headers), { status: 200, code: undefined }, `lax GET passes: ${JSON.stringify(headers)}`)
  }
  for (const headers of own) {
    t.same(
      await ask('GET', '/app/unsubscribe?list=all', headers),
      { status: 200, code: undefined },
      `strict GET from this site passes: ${JSON.stringify(headers)}`
    )
  }
  t.same(await ask('POST', '/lax/orders', { origin: 'https://evil.example' }), { status: 403, code: 'csrf_failed' }, 'lax still refuses a cross-site POST')
  const anonymous = await call(`${origin}/app/unsubscribe`, { headers: { accept: 'application/json', 'sec-fetch-site': 'cross-site' } })
  t.equal(anonymous.status, 401, 'without the session cookie there is nothing to forge: the usual 401')
})
