import t, { type Test } from 'tap'
import { startTestGateway } from '../helpers/gateway.js'
import { startEcho } from '../helpers/upstream.js'
import { call } from '../helpers/http.js'
import { freePort } from '../helpers/ports.js'
import { skewedClock, type TestClock } from '../helpers/clock.js'
import { logIn, oidcGatewayYaml, ScriptedBrowser, startOidcProvider } from '../helpers/oidc-provider.js'

const xhr = (origin: string, sid: string): Promise<{ status: number }> =>
  call(`${origin}/app/x`, { headers: { cookie: `gatehouse-session=${sid}`, accept: 'application/json' } })

/** A provider, an upstream and the gateway on a moved clock; `session` adds to the authenticator's session settings. */
async function start (
  t: Test,
  options: { accessTokenTtl?: number, session?: string } = {}
): Promise<{ origin: string, op: Awaited<ReturnType<typeof startOidcProvider>>, clock: TestClock }> {
  const port = await freePort()
  const origin = `http://127.0.0.1:${port}`
  const op = await startOidcProvider(t, { origins: [origin], accessTokenTtl: options.accessTokenTtl })
  const upstream = await startEcho(t)
  const clock = skewedClock()
  await startTestGateway(t, oidcGatewayYaml({ port, provider: op, upstream, session: options.session }), { clock })
  return { origin, op, clock }
}

t.test('oidc: the refresh token carries a session past its access token', async t => {
  const { origin, op, clock } = await start(t, { accessTokenTtl: 1 })
  const { sid } = await logIn(new ScriptedBrowser(), origin, '/app/', 'alice')
  t.equal(op.grants.refresh_token, undefined, 'no refresh yet')
  clock.advance(1200)
  const all = await Promise.all([xhr(origin, sid), xhr(origin, sid), xhr(origin, sid)])
  t.same(all.map(r => r.status), [200, 200, 200], 'past the access token\'s life the session goes on')
  t.equal(op.grants.refresh_token, 1, 'concurrent requests made one refresh')
  t.equal((await xhr(origin, sid)).status, 200)
  t.equal(op.grants.refresh_token, 1, 'the refreshed tokens serve the next requests')
})

t.test('oidc: a refused refresh ends the session', async t => {
  const { origin, op, clock } = await start(t, { accessTokenTtl: 1 })
  const { sid } = await logIn(new ScriptedBrowser(), origin, '/app/', 'alice')
  // The provider forgets every grant: the refresh token is no longer honoured.
  await op.revokeRefreshTokens()
  clock.advance(1200)
  t.equal((await xhr(origin, sid)).status, 401, 'the refresh was refused: no session')
})

t.test('oidc: idle and absolute timeouts end a session', async t => {
  const { origin, clock } = await start(t, { session: ', idleTimeout: 2s, absoluteTimeout: 6s' })
  const browser = new ScriptedBrowser()
  const idle = await logIn(browser, origin, '/app/', 'alice')
  clock.advance(2300)
  t.equal((await xhr(origin, idle.sid)).status, 401, 'unused past the idle timeout: ended')

  const busy = await logIn(new ScriptedBrowser(), origin, '/app/', 'bob')
  // Used every 400 ms of the gateway's clock: each use moves the idle end, never the absolute one.
  let lastOk = 0
  for (let used = 0; used < 7500; used += 400) {
    const { status } = await xhr(origin, busy.sid)
    if (status !== 200) break
    lastOk = used
    clock.advance(400)
  }
  t.ok(lastOk > 3000, `used, it outlives the idle timeout (${lastOk} ms)`)
  t.ok(lastOk < 6200, `but not the absolute one (${lastOk} ms)`)
  t.equal((await xhr(origin, busy.sid)).status, 401)
})
