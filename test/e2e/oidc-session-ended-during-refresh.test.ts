import t from 'tap'
import { PassThrough, Readable } from 'node:stream'
import { text } from 'node:stream/consumers'
import { Redis } from 'ioredis'
import { sessionsRevoke } from '../../cli/sessions.js'
import { startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { startEcho } from '../helpers/upstream.js'
import { startRedis } from '../helpers/redis.js'
import { call, type Response } from '../helpers/http.js'
import { freePort } from '../helpers/ports.js'
import { skewedClock } from '../helpers/clock.js'
import { until } from '../helpers/until.js'
import { logIn, oidcGatewayYaml, ScriptedBrowser, startOidcProvider } from '../helpers/oidc-provider.js'

/** Seconds the provider's access tokens live: the gateways' clock jumps past it to make the next request refresh. */
const ACCESS_TOKEN_TTL_S = 60

interface Teardown { teardown (fn: () => unknown): void }

/** A refresh the provider has answered but not yet sent: the test says when it goes out. */
function slowRefresh (): { hold: () => Promise<void>, held: () => boolean, release: () => void } {
  let waiting = 0
  let release = (): void => {}
  const released = new Promise<void>(resolve => { release = resolve })
  return {
    hold: async () => {
      waiting++
      await released
    },
    held: () => waiting > 0,
    release: () => release()
  }
}

async function revoke (file: string, user: string): Promise<string> {
  const stdout = new PassThrough()
  const stderr = new PassThrough()
  const code = await sessionsRevoke(['-c', file, '--user', user], { stdin: Readable.from(['']), stdout, stderr, env: process.env })
  stdout.end()
  stderr.end()
  const [out, err] = [await text(stdout), await text(stderr)]
  if (code !== 0) throw new Error(`sessions revoke exit ${code}: ${err}`)
  return out
}

const status = async (origin: string, sid: string): Promise<number> =>
  (await call(`${origin}/app/x`, { headers: { cookie: `gatehouse-session=${sid}`, accept: 'application/json' } })).status

/** Two instances on one Redis (or one alone), alice logged in, and her tokens expired on the gateways' clock. */
async function setUp (
  t: Teardown,
  instances: 1 | 2
): Promise<{ gateways: TestGateway[], origins: string[], sid: string, refresh: ReturnType<typeof slowRefresh>, redisUrl: string | undefined }> {
  const ports = instances === 2 ? [await freePort(), await freePort()] : [await freePort()]
  const origins = ports.map(p => `http://127.0.0.1:${p}`)
  const refresh = slowRefresh()
  const op = await startOidcProvider(t, { origins, accessTokenTtl: ACCESS_TOKEN_TTL_S, holdRefresh: refresh.hold })
  const upstream = await startEcho(t)
  const redisUrl = instances === 2 ? (await startRedis(t)).url : undefined
  const clock = skewedClock()
  const gateways = await Promise.all(
    ports.map(async port => await startTestGateway(t, oidcGatewayYaml({ port, provider: op, upstream, redis: redisUrl }), { clock }))
  )
  const { sid } = await logIn(new ScriptedBrowser(), origins[0] as string, '/app/', 'alice')
  for (const origin of origins) if ((await status(origin, sid)) !== 200) throw new Error('not logged in')
  clock.advance((ACCESS_TOKEN_TTL_S + 1) * 1000)
  return { gateways, origins, sid, refresh, redisUrl }
}

/** A request on `origin` that needs a refresh, held at the provider until the test releases it (wrapped: an async function would wait for it). */
async function requestThatRefreshes (origin: string, sid: string, refresh: ReturnType<typeof slowRefresh>): Promise<{ response: Promise<Response> }> {
  const response = call(`${origin}/app/x`, { headers: { cookie: `gatehouse-session=${sid}`, accept: 'application/json' } })
  await until('the refresh to reach the provider', refresh.held)
  return { response }
}

t.test('oidc: a logout on B while A refreshes the session stays a logout on both instances', async t => {
  const { origins, sid, refresh, redisUrl } = await setUp(t, 2)
  const [originA, originB] = origins as [string, string]
  const onA = await requestThatRefreshes(originA, sid, refresh)
  const out = await call(`${originB}/oauth2/logout`, { method: 'POST', headers: { cookie: `gatehouse-session=${sid}`, origin: originB } })
  t.equal(out.status, 303, 'logged out on B')
  t.equal(await status(originB, sid), 401, 'B refuses the session at once')

  refresh.release()
  t.equal((await onA.response).status, 401, 'the request whose refresh outlived the logout is refused')
  t.equal(await status(originA, sid), 401, 'A refuses the session afterwards')
  t.equal(await status(originB, sid), 401, 'so does B')
  const raw = new Redis(redisUrl as string)
  t.teardown(() => raw.disconnect())
  t.equal((await raw.keys('gatehouse:v1:oidc-session:*')).length, 0, 'the refresh wrote nothing back to Redis')
})

t.test('oidc: `sessions revoke --user` while an instance refreshes the session ends it for good', async t => {
  const { gateways, origins, sid, refresh } = await setUp(t, 2)
  const [originA, originB] = origins as [string, string]
  const file = (gateways[0] as TestGateway).gateway.config.file
  const onA = await requestThatRefreshes(originA, sid, refresh)
  t.equal(await revoke(file, 'alice'), '1 session of alice ended on every instance\n')

  refresh.release()
  t.equal((await onA.response).status, 401, 'the request whose refresh outlived the revocation is refused')
  // The revocation reaches B's local copy through pub/sub, in its own time.
  await until('both instances to refuse the session', async () => await status(originA, sid) === 401 && await status(originB, sid) === 401)
  t.equal(await revoke(file, 'alice'), '0 sessions of alice ended on every instance\n', 'nothing was left to revoke')
})

t.test('oidc: without Redis, a logout while the same instance refreshes the session stays a logout', async t => {
  const { origins, sid, refresh } = await setUp(t, 1)
  const origin = origins[0] as string
  const pending = await requestThatRefreshes(origin, sid, refresh)
  const out = await call(`${origin}/oauth2/logout`, { method: 'POST', headers: { cookie: `gatehouse-session=${sid}`, origin } })
  t.equal(out.status, 303, 'logged out')

  refresh.release()
  t.equal((await pending.response).status, 401, 'the request whose refresh outlived the logout is refused')
  t.equal(await status(origin, sid), 401, 'and the session with it')
})
