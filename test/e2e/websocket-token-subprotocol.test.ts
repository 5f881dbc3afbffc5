import t from 'tap'
import { TEST_SERVER, startTestGateway } from '../helpers/gateway.js'
import { call } from '../helpers/http.js'
import { startEcho, type Echo } from '../helpers/upstream.js'
import { USER_ISSUER, USER_SECRET, userToken } from '../helpers/user-token.js'
import { mustOpen, openWs, startWsUpstream } from '../helpers/websocket.js'

t.test('a browser\'s token in a Sec-WebSocket-Protocol entry or the query, taken out before forwarding', async t => {
  const upstream = await startWsUpstream(t)
  const echo = await startEcho(t)
  const gw = await startTestGateway(
    t,
    `${TEST_SERVER}authenticators:
  idp: { type: jwt, issuer: "${USER_ISSUER}", secret: "${USER_SECRET}", algorithms: [HS256], audience: api,
    webSocket: { protocol: bearer., query: access_token } }
  strict: { type: jwt, issuer: "${USER_ISSUER}", secret: "${USER_SECRET}", algorithms: [HS256], audience: api }
upstreams:
  live: { url: "${upstream.url}" }
  http: { url: "${echo}" }
routes:
  - { match: /live/*, upstream: live, policy: user, user: [idp], websocket: true }
  - { match: /strict/*, upstream: live, policy: user, user: [strict], websocket: true }
  - { match: /api/*, upstream: http, policy: user, user: [idp] }
`
  )
  const token = await userToken('alice')

  const withChat = await mustOpen(`${gw.url}/live/feed`, { protocols: [`bearer.${token}`, 'chat'] })
  withChat.ws.close()
  t.equal(withChat.hello.headers['remote-user'], 'alice', 'the subprotocol entry authenticates')
  t.equal(withChat.hello.headers['sec-websocket-protocol'], 'chat', 'the upstream is offered the other entries only')
  t.equal(withChat.protocol, 'chat', 'the client gets the upstream\'s choice')
  t.notOk(JSON.stringify(withChat.hello.headers).includes(token), 'the token reaches the upstream nowhere')

  const alone = await mustOpen(`${gw.url}/live/feed`, { protocols: [`bearer.${token}`] })
  alone.ws.close()
  t.equal(alone.hello.headers['remote-user'], 'alice')
  t.notOk(alone.hello.headers['sec-websocket-protocol'], 'the upstream is offered nothing')
  t.equal(alone.protocol, `bearer.${token}`, 'a client that offered only its token gets that entry back, as browsers require')

  const query = await mustOpen(`${gw.url}/live/feed?room=1&access_token=${token}`)
  query.ws.close()
  t.equal(query.hello.headers['remote-user'], 'alice', 'the query parameter authenticates')
  t.equal(query.hello.url, '/live/feed?room=1', 'and is taken out of the forwarded query')

  const forged = await openWs(`${gw.url}/live/feed`, { protocols: ['bearer.a.b.c', 'chat'] })
  t.equal(forged.kind === 'refused' && forged.status, 401, 'a bad token in the subprotocol is 401')

  const before = upstream.handshakes.length
  const duplicated = await openWs(`${gw.url}/live/feed`, { headers: { 'sec-websocket-protocol': `bearer.${token}, chat, chat` } })
  t.equal(duplicated.kind === 'refused' && duplicated.status, 400, 'a malformed offer is 400')
  t.equal(upstream.handshakes.length, before, 'and never reaches the upstream')

  const notAllowed = await openWs(`${gw.url}/strict/feed?access_token=${token}`, { protocols: [`bearer.${token}`] })
  t.equal(notAllowed.kind === 'refused' && notAllowed.status, 401, 'an authenticator without webSocket: takes neither')

  const http = await call(`${gw.url}/api/x?access_token=${token}`, { headers: { 'sec-websocket-protocol': `bearer.${token}` } })
  t.equal(http.status, 401, 'a plain HTTP request cannot use either: they are for upgrades only')
  const ok = await call(`${gw.url}/api/x`, { headers: { authorization: `Bearer ${token}` } })
  t.equal(ok.json<Echo>().headers['remote-user'], 'alice', 'the header still works on HTTP')
})
