import t from 'tap'
import { startTestGateway } from '../helpers/gateway.js'
import { DECISIONS_TOKEN, decisionsYaml, nginxRecipe } from '../helpers/decision-api.js'
import { NGINX, startNginx } from '../helpers/nginx.js'
import { freePort } from '../helpers/ports.js'
import { requires } from '../helpers/requires.js'
import { userToken } from '../helpers/user-token.js'
import { mustOpen, nextMessage, openWs, startWsUpstream } from '../helpers/websocket.js'

t.test('WebSocket upgrades through nginx auth_request: decided as upgrades, the identity on the handshake, refused where the route has none', {
  skip: requires(NGINX)
}, async t => {
  const upstream = await startWsUpstream(t)
  const yaml = `${decisionsYaml(upstream.url, '  decisionsCacheTtl: 30s\n')}  - { match: /live/*, upstream: web, policy: user, user: [idp], websocket: true }
  - { match: /lobby/*, upstream: web, policy: public, websocket: true }
`
  const gw = await startTestGateway(t, yaml)
  const decisions = (gw.decisionsUrl as string).slice('http://'.length)
  const port = await freePort()
  const nginx = await startNginx(t, port, nginxRecipe({ port, decisions, upstream: upstream.url, token: DECISIONS_TOKEN, cache: true }))
  const alice = `Bearer ${await userToken('alice')}`

  const { ws, hello } = await mustOpen(`${nginx.url}/live/feed?room=1`, { headers: { authorization: alice, 'remote-user': 'mallory' } })
  t.equal(hello.url, '/live/feed?room=1', 'the handshake reached the app through nginx')
  t.equal(hello.headers['remote-user'], 'alice', 'the decided user on the handshake, the spoofed one replaced')
  t.notOk(hello.headers.authorization, 'the token kept from the app')
  ws.send('through nginx')
  t.equal((await nextMessage(ws)).data.toString(), 'through nginx', 'messages cross both proxies')
  ws.close()

  const none = await openWs(`${nginx.url}/live/feed`)
  t.equal(none.kind === 'refused' && none.status, 401, 'no token: 401, no switch')

  const lobby = await mustOpen(`${nginx.url}/lobby/x`, { headers: { 'remote-user': 'mallory', remote_user: 'mallory' } })
  t.notOk(lobby.hello.headers['remote-user'], 'a public upgrade: no user, and no spoofed one')
  lobby.ws.close()

  // A route without `websocket:` refuses the upgrade, even after a plain request's allow was cached for the same token.
  const before = upstream.handshakes.length
  const plain = await fetch(`${nginx.url}/user/me`, { headers: { authorization: alice } })
  t.equal(plain.status, 426, 'the plain request was allowed (the ws upstream asks for an upgrade)')
  const refused = await openWs(`${nginx.url}/user/me`, { headers: { authorization: alice } })
  t.equal(refused.kind, 'refused', 'the upgrade is not switched')
  t.not(refused.kind === 'refused' && refused.status, 101)
  t.equal(upstream.handshakes.length, before, 'and never reached the app')
  const line = gw.logs.filter(l => l.msg === 'decision' && l.path === '/user/me').at(-1)
  t.match(line, { door: 'nginx', decision: 'deny' }, 'the decision API refused it as an upgrade')
})
