import t from 'tap'
import { TEST_SERVER, startTestGateway } from '../helpers/gateway.js'
import { USER_AUTH_YAML, userToken } from '../helpers/user-token.js'
import { closed, mustOpen, nextMessage, startWsUpstream } from '../helpers/websocket.js'
import { until } from '../helpers/until.js'

t.test('an admitted upgrade: messages both ways, pings and pongs pass, close codes cross', async t => {
  const upstream = await startWsUpstream(t)
  const gw = await startTestGateway(t, `${TEST_SERVER}authenticators:
${USER_AUTH_YAML}
upstreams:
  live: { url: "${upstream.url}" }
routes:
  - match: /live/*
    upstream: live
    policy: user
    user: [idp]
    websocket: true
`)
  const headers = { authorization: `Bearer ${await userToken('alice')}` }
  const { ws, hello, protocol } = await mustOpen(`${gw.url}/live/feed?room=1`, { headers, protocols: ['chat', 'other'] })
  t.equal(hello.url, '/live/feed?room=1', 'the path and query as sent')
  t.equal(hello.headers['remote-user'], 'alice', 'the identity is on the handshake')
  t.notOk(hello.headers.authorization, 'the consumed credential is not')
  t.equal(protocol, 'chat', 'the client gets the subprotocol the upstream chose')

  ws.send('hello')
  t.equal((await nextMessage(ws)).data.toString(), 'hello', 'a text message goes there and back')
  ws.send(Buffer.from([0, 1, 2, 255]))
  const bin = await nextMessage(ws)
  t.ok(bin.isBinary, 'binary stays binary')
  t.same([...(bin.data as Buffer)], [0, 1, 2, 255])

  // ws answers pings itself; the pong the client gets was sent by the upstream's end.
  const pong = new Promise<string>(resolve => ws.once('pong', data => resolve(data.toString())))
  ws.ping('are you there')
  t.equal(await pong, 'are you there', 'a ping reaches the upstream, its pong comes back')

  const [server] = upstream.sockets
  const ping = new Promise<string>(resolve => ws.once('ping', data => resolve(data.toString())))
  server?.ping('and you')
  t.equal(await ping, 'and you', 'an upstream ping reaches the client')

  const end = closed(ws)
  ws.send('close 4001 done here')
  t.same(await end, { code: 4001, reason: 'done here' }, 'the upstream\'s close code and reason reach the client')

  const second = await mustOpen(`${gw.url}/live/feed`, { headers })
  second.ws.close(4002, 'bye')
  await closed(second.ws)
  await until('the upstream to see the second close', () => upstream.closes.length >= 2, 30_000)
  t.same(upstream.closes[1], { code: 4002, reason: 'bye' }, 'the client\'s close code and reason reach the upstream')
})
