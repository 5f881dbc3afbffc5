import t from 'tap'
import { randomBytes } from 'node:crypto'
import { TEST_SERVER, startTestGateway } from '../helpers/gateway.js'
import { USER_ISSUER, USER_SECRET, userToken } from '../helpers/user-token.js'
import { mustOpen, startWsUpstream } from '../helpers/websocket.js'

t.test('a credential subprotocol entry is taken out on every WebSocket route, not only where it is read', async t => {
  const upstream = await startWsUpstream(t)
  const gw = await startTestGateway(t, `${TEST_SERVER}authenticators:
  idp: { type: jwt, issuer: "${USER_ISSUER}", secret: "${USER_SECRET}", algorithms: [HS256], audience: api, webSocket: { protocol: bearer. } }
  other: { type: jwt, issuer: "${USER_ISSUER}", secret: "${USER_SECRET}", algorithms: [HS256], audience: api, webSocket: { protocol: other-token. } }
upstreams:
  live: { url: "${upstream.url}" }
routes:
  - { match: /live/*, upstream: live, policy: user, user: [idp], websocket: true }
  - { match: /public/*, upstream: live, policy: public, websocket: true }
  - { match: /other/*, upstream: live, policy: user, user: [other], websocket: true }
  - { match: /trusting/*, upstream: live, policy: public, websocket: true, forwardCredentials: true }
`)
  const token = await userToken('alice')

  const publicRoute = await mustOpen(`${gw.url}/public/feed`, { protocols: [`bearer.${token}`, 'chat'] })
  publicRoute.ws.close()
  t.equal(publicRoute.hello.headers['sec-websocket-protocol'], 'chat', 'a public route that reads no token still takes it out')
  t.notOk(JSON.stringify(publicRoute.hello.headers).includes(token), 'the token reaches that upstream nowhere')
  t.equal(publicRoute.protocol, 'chat')

  const alone = await mustOpen(`${gw.url}/public/feed`, { protocols: [`bearer.${token}`] })
  alone.ws.close()
  t.notOk(alone.hello.headers['sec-websocket-protocol'], 'offered alone, the upstream is offered nothing')

  // Generated tokens under either authenticator's prefix, on a route that reads only the other one.
  for (let i = 0; i < 20; i++) {
    const secret = randomBytes(8 + i * 7).toString('base64url')
    const prefix = i % 2 === 0 ? 'bearer.' : 'other-token.'
    const path = i % 2 === 0 ? '/other/feed' : '/public/feed'
    const protocols = [`${prefix}${secret}`, 'chat']
    const opened = await openWhereAllowed(path, protocols)
    opened.ws.close()
    t.equal(opened.hello.headers['sec-websocket-protocol'], 'chat', `${prefix}… is taken out on ${path}`)
    t.notOk(JSON.stringify(opened.hello).includes(secret), 'its value reaches the upstream nowhere')
  }

  const trusting = await mustOpen(`${gw.url}/trusting/feed`, { protocols: [`bearer.${token}`, 'chat'] })
  trusting.ws.close()
  t.equal(trusting.hello.headers['sec-websocket-protocol'], `bearer.${token},chat`, 'forwardCredentials: true keeps it')

  async function openWhereAllowed (path: string, protocols: string[]): ReturnType<typeof mustOpen> {
    // /other/* wants a user of `other`: its token comes in the header, the stray entry is the one under test.
    const headers = path.startsWith('/other') ? { authorization: `Bearer ${await userToken('bob')}` } : undefined
    return await mustOpen(`${gw.url}${path}`, { protocols, ...(headers === undefined ? {} : { headers }) })
  }
})
