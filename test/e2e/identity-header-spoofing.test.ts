import t from 'tap'
import { KEYS, TEST_SERVER, clientsYaml, startTestGateway } from '../helpers/gateway.js'
import { startEcho, type Echo } from '../helpers/upstream.js'
import { call } from '../helpers/http.js'

const SPOOFED = {
  'Remote-User': 'admin',
  'remote-client': 'android',
  'Remote-Scopes': 'orders:write',
  'Remote-Auth': 'idp',
  'Remote-Email': 'root@example.com',
  Remote_User: 'admin',
  'X-Remote-Role': 'admin',
  x_forwarded_user: 'admin',
  'X-Internal-Id': '1'
}

t.test('client-supplied identity headers never reach the upstream, on any route', async t => {
  const upstream = await startEcho(t)
  const gw = await startTestGateway(t, `${TEST_SERVER}${clientsYaml()}
identity:
  claims: { email: Remote-Email }
  strip: ["Remote-*", "X-Remote-*", "X-Internal-*"]
authenticators:
  appKey: { type: apiKey }
upstreams:
  web: { url: "${upstream}" }
routes:
  - match: /public/*
    upstream: web
    policy: public
  - match: /app/*
    upstream: web
    policy: client
    client: [appKey]
`)
  for (const [path, headers] of [
    ['/public/x', SPOOFED],
    ['/app/x', { ...SPOOFED, 'x-api-key': KEYS.ios }]
  ] as const) {
    const res = await call(`${gw.url}${path}`, { headers })
    t.equal(res.status, 200, `${path}: served`)
    const seen = res.json<Echo>().headers
    const leaked = Object.keys(seen).filter(h => /remote|_|x-internal/i.test(h) && !(h === 'remote-client' || h === 'remote-auth' || h === 'remote-scopes'))
    t.same(leaked, [], `${path}: no spoofed header forwarded`)
    t.not(seen['remote-client'], 'android', `${path}: Remote-Client is never the client's copy`)
    t.not(seen['remote-scopes'], 'orders:write', `${path}: Remote-Scopes is never the client's copy`)
    t.not(seen['remote-auth'], 'idp', `${path}: Remote-Auth is never the client's copy`)
  }
  const app = (await call(`${gw.url}/app/x`, { headers: { ...SPOOFED, 'x-api-key': KEYS.ios } })).json<Echo>().headers
  t.equal(app['remote-client'], 'ios', 'the gateway sets the authenticated client')
  t.equal(app['remote-auth'], 'appKey', 'and the authenticator that proved it')
})
