import t from 'tap'
import { SignJWT } from 'jose'
import { startTestGateway } from '../helpers/gateway.js'
import { DECISIONS_TOKEN, decisionsYaml, nginxRecipe } from '../helpers/decision-api.js'
import { call } from '../helpers/http.js'
import { NGINX, startNginx } from '../helpers/nginx.js'
import { freePort } from '../helpers/ports.js'
import { requires } from '../helpers/requires.js'
import { startEcho, type Echo } from '../helpers/upstream.js'
import { USER_ISSUER, USER_SECRET, userToken } from '../helpers/user-token.js'

t.test(
  'nginx proxy_cache on the auth location: allows reused per credential, never across users, never for a rate-limited route',
  { skip: requires(NGINX) },
  async t => {
    const upstream = await startEcho(t)
    const gw = await startTestGateway(t, decisionsYaml(upstream, '  decisionsCacheTtl: 30s\n'))
    const port = await freePort()
    const nginx = await startNginx(
      t,
      port,
      nginxRecipe({ port, decisions: (gw.decisionsUrl as string).slice('http://'.length), upstream, token: DECISIONS_TOKEN, cache: true })
    )
    const decisions = (): number => gw.logs.filter(l => l.msg === 'decision').length
    const userOf = async (path: string, token: string): Promise<unknown> => {
      const res = await call(`${nginx.url}${path}`, { headers: { authorization: `Bearer ${token}` } })
      t.equal(res.status, 200, `${path}: allowed`)
      return res.json<Echo>().headers['remote-user']
    }
    const alice = await userToken('alice')
    const bob = await userToken('bob')

    t.equal(await userOf('/user/me', alice), 'alice')
    const afterFirst = decisions()
    t.equal(await userOf('/user/me', alice), 'alice', 'alice again')
    t.equal(decisions(), afterFirst, "the second answer came from nginx's cache: gatehouse was not asked")

    t.test('two users on one URI each get their own identity', async t => {
      for (let round = 0; round < 3; round++) {
        t.equal(await userOf('/user/me', bob), 'bob', `round ${round}: bob is bob`)
        t.equal(await userOf('/user/me', alice), 'alice', `round ${round}: alice is alice`)
      }
      const anonymous = await call(`${nginx.url}/user/me`)
      t.equal(anonymous.status, 401, 'no token after cached allows: still 401')
      const forged = await call(`${nginx.url}/user/me`, { headers: { authorization: `Bearer ${alice.slice(0, -4)}AAAA` } })
      t.equal(forged.status, 401, 'a forged token for the same user: 401, its own cache key')
    })

    t.test('a rate-limited route is never cached: every request is decided and counted', async t => {
      const carol = await userToken('carol')
      const before = decisions()
      for (let i = 0; i < 2; i++) t.equal(await userOf('/limited/x', carol), 'carol')
      const over = await call(`${nginx.url}/limited/x`, { headers: { authorization: `Bearer ${carol}` } })
      t.equal(over.status, 429, 'the third: 429')
      t.equal(decisions() - before, 3, 'three requests, three decisions')
    })

    t.test('refusals are never cached', async t => {
      const before = decisions()
      for (let i = 0; i < 2; i++) t.equal((await call(`${nginx.url}/user/me`)).status, 401)
      t.equal(decisions() - before, 2, 'each refusal decided again')
    })
  }
)

t.test('the cache lifetime: decisionsCacheTtl, cut to the credential\'s expiry, Vary on what the route reads', async t => {
  const upstream = await startEcho(t)
  const gw = await startTestGateway(t, decisionsYaml(upstream, '  decisionsCacheTtl: 60s\n'))
  const ask = async (door: string, path: string, headers: Record<string, string>): Promise<Awaited<ReturnType<typeof call>>> =>
    await call(`${gw.decisionsUrl as string}${door}`, {
      headers: {
        'x-gatehouse-decisions-token': DECISIONS_TOKEN,
        'x-original-method': 'GET',
        'x-original-uri': path,
        'x-forwarded-method': 'GET',
        'x-forwarded-uri': path,
        ...headers
      }
    })

  const long = await ask('/nginx', '/user/me', { authorization: `Bearer ${await userToken('alice')}` })
  t.equal(long.headers['cache-control'], 'private, max-age=60', 'a token valid 5 minutes: the configured 60s')
  t.equal(long.headers['x-accel-expires'], '60', 'nginx is told the same lifetime')
  t.same(String(long.headers.vary).split(', ').sort(), ['authorization', 'host', 'sec-websocket-key'], 'nginx: Vary names the client headers the decision read')

  const soon = await new SignJWT({ scope: 'orders:read' }).setProtectedHeader({ alg: 'HS256' }).setSubject('alice').setIssuer(USER_ISSUER).setAudience('api')
    .setIssuedAt().setExpirationTime(Math.floor(gw.gateway.clock() / 1000) + 20).sign(new TextEncoder().encode(USER_SECRET))
  const short = await ask('/traefik', '/user/me', { authorization: `Bearer ${soon}` })
  const maxAge = Number(/max-age=(\d+)/.exec(String(short.headers['cache-control']))?.[1])
  t.ok(maxAge > 0 && maxAge <= 20, `a token expiring in 20s: max-age ${maxAge}, not past it`)
  t.notOk(short.headers['x-accel-expires'], 'X-Accel-Expires is for nginx only')
  t.match(short.headers.vary, /x-forwarded-uri/, 'Traefik\'s original-request headers in Vary')

  const limited = await ask('/nginx', '/limited/x', { authorization: `Bearer ${await userToken('alice')}` })
  t.equal(limited.status, 200)
  t.equal(limited.headers['cache-control'], 'no-store', 'a rate-limited route: no-store')
  t.equal(limited.headers['x-accel-expires'], '0')
  t.ok(limited.headers['ratelimit-remaining'] !== undefined, 'its rate-limit state comes back')

  const refused = await ask('/nginx', '/user/me', {})
  t.equal(refused.status, 401)
  t.equal(refused.headers['cache-control'], 'no-store', 'a refusal: no-store')
})
