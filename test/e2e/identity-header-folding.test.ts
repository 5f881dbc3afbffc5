import t from 'tap'
import { connect } from 'node:net'
import { TEST_SERVER, startTestGateway } from '../helpers/gateway.js'
import { startEcho, type Echo } from '../helpers/upstream.js'
import { call } from '../helpers/http.js'

const CONFIG = (upstream: string): string => `${TEST_SERVER}
identity:
  claims: { email: X-User-Email }
upstreams:
  web: { url: "${upstream}" }
routes:
  - match: /open/*
    upstream: web
    policy: public
`

t.test('a name that a CGI layer folds into an identity header is stripped: Remote.User, Remote~User, Remote+User', async t => {
  const upstream = await startEcho(t)
  const gw = await startTestGateway(t, CONFIG(upstream))
  const spoofed = {
    'Remote.User': 'admin',
    'Remote~User': 'admin',
    'Remote+User': 'admin',
    'X.User.Email': 'root@example.com',
    'x-user~email': 'root@example.com'
  }
  const echo = (await call(`${gw.url}/open/a`, { headers: spoofed })).json<Echo>()
  for (const name of Object.keys(spoofed)) t.notOk(echo.headers[name.toLowerCase()], `${name} never reaches the upstream`)
})

t.test('headers that steer an upstream past a per-method or per-path policy are stripped by default', async t => {
  const upstream = await startEcho(t)
  const gw = await startTestGateway(t, CONFIG(upstream))
  const steering = {
    'X-HTTP-Method-Override': 'DELETE',
    'X-HTTP-Method': 'DELETE',
    'X-Method-Override': 'DELETE',
    'X-Original-URL': '/admin',
    'X-Rewrite-URL': '/admin'
  }
  const echo = (await call(`${gw.url}/open/a`, { headers: { ...steering, accept: 'text/plain' } })).json<Echo>()
  for (const name of Object.keys(steering)) t.notOk(echo.headers[name.toLowerCase()], `${name} never reaches the upstream`)
  t.equal(echo.headers.accept, 'text/plain', 'other headers pass')

  const kept = await startTestGateway(t, `${CONFIG(upstream)}  - match: /legacy/*
    upstream: web
    policy: public
`.replace('identity:\n', 'identity:\n  stripOverrides: []\n'))
  const legacy = (await call(`${kept.url}/legacy/a`, { headers: { 'X-HTTP-Method-Override': 'PATCH' } })).json<Echo>()
  t.equal(legacy.headers['x-http-method-override'], 'PATCH', 'identity.stripOverrides: [] lets them through for an upstream that needs them')
})

t.test('HTTP/1.0 without Host: a client-sent X-Forwarded-Host is never forwarded', async t => {
  const upstream = await startEcho(t)
  const gw = await startTestGateway(t, CONFIG(upstream))
  const { port } = new URL(gw.url)
  const raw = await new Promise<string>((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1')
    let out = ''
    socket.on('data', d => { out += d.toString() })
    socket.on('end', () => resolve(out))
    socket.on('error', reject)
    socket.write('GET /open/a HTTP/1.0\r\nX-Forwarded-Host: evil.example\r\n\r\n')
  })
  t.match(raw, /^HTTP\/1\.1 200/, 'answered')
  const echo = JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4)) as Echo
  t.notOk(echo.headers['x-forwarded-host'], 'no X-Forwarded-Host: the client gave no Host, and its own claim is dropped')
})
