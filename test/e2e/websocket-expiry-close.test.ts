import t from 'tap'
import { TEST_SERVER, startTestGateway } from '../helpers/gateway.js'
import { SignJWT } from 'jose'
import { USER_AUTH_YAML, USER_ISSUER, USER_SECRET } from '../helpers/user-token.js'
import { closed, mustOpen, startWsUpstream } from '../helpers/websocket.js'
import { until } from '../helpers/until.js'

t.test('closeOnExpiry: the connection closes with 1008 when the token that opened it expires', async t => {
  const upstream = await startWsUpstream(t)
  const gw = await startTestGateway(t, `${TEST_SERVER}authenticators:
${USER_AUTH_YAML}
upstreams:
  live: { url: "${upstream.url}" }
routes:
  - { match: /live/*, upstream: live, policy: user, user: [idp], websocket: { closeOnExpiry: true } }
  - { match: /lax/*, upstream: live, policy: user, user: [idp], websocket: true }
`)
  // Room for both handshakes on a busy machine: a token that expired before its upgrade is simply refused.
  const exp = Math.floor(Date.now() / 1000) + 6
  const token = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('alice').setIssuer(USER_ISSUER)
    .setAudience('api').setExpirationTime(exp).sign(new TextEncoder().encode(USER_SECRET))
  const headers = { authorization: `Bearer ${token}` }
  const { ws } = await mustOpen(`${gw.url}/live/feed`, { headers })
  const lax = await mustOpen(`${gw.url}/lax/feed`, { headers })

  const close = await closed(ws)
  const at = Date.now() / 1000
  t.equal(close.code, 1008, 'closed with 1008 (policy violation)')
  t.equal(close.reason, 'token expired')
  t.ok(at >= exp, `not before exp (${at - exp} s after)`)
  t.ok(at < exp + 10, 'but when it expires, not at some later sweep')
  await t.resolves(until('the upstream to see 1008', () => upstream.closes.some(c => c.code === 1008), 30_000), 'the upstream is told 1008 too')
  t.equal(lax.ws.readyState, lax.ws.OPEN, 'without closeOnExpiry the connection outlives the token')
  lax.ws.close()
})
