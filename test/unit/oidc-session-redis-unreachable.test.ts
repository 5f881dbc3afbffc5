import t from 'tap'
import { createGateway, type Gateway } from '../../src/gateway.js'
import { createLogger } from '../../src/logger.js'
import { decide, type Outcome } from '../../src/decision/decide.js'
import { decisionRequest } from '../../src/decision/request.js'
import type { OidcAuthenticator } from '../../src/auth/oidc/oidc-authenticator.js'
import { configOf } from '../helpers/config.js'
import { manualClock } from '../helpers/clock.js'
import { startRedis } from '../helpers/redis.js'
import { tempDir } from '../helpers/gateway.js'
import { until } from '../helpers/until.js'
import { OFFLINE_BROWSER_LOGIN } from '../helpers/offline-browser-login.js'

// Sessions live in Redis: an instance that has not seen one cannot tell "ended" from "unknown" while Redis is away.
t.test('a session cookie this instance cannot check while Redis is unreachable is 503, not a 401 nor a new login', async t => {
  const redis = await startRedis(t, { persistDir: tempDir(t) })
  const yaml = configOf(`cache:
  redis: "${redis.url}"
  integrityKey: "${'i'.repeat(32)}"
authenticators:
  ${OFFLINE_BROWSER_LOGIN}
upstreams:
  web: { url: "http://127.0.0.1:9" }
routes:
  - { match: /app/*, upstream: web, policy: user, user: [browser] }
`)
  const clock = manualClock()
  const start = async (): Promise<Gateway> => {
    const g = await createGateway(yaml, createLogger('silent'), { clock })
    t.teardown(async () => await g.close())
    await until('the gateway reached Redis', () => g.cache.redisState === 'up', 30_000)
    return g
  }
  const [made, other] = [await start(), await start()]
  const cookie = await (made.authenticators.get('browser') as OidcAuthenticator).testSession('alice', {}, [], false)
  const ask = async (g: Gateway, headers: string[]): Promise<Outcome> =>
    await decide(g, decisionRequest({ method: 'GET', target: '/app/1', rawHeaders: ['Host', 'gw.test', ...headers] }), { dryRun: true })
  const page = ['Accept', 'text/html', 'Sec-Fetch-Mode', 'navigate']

  t.match(await ask(other, ['Cookie', cookie]), { kind: 'allow', identity: { user: { id: 'alice' } } }, 'read from Redis while it is up')
  other.cache.evict('oidc-session', cookie.slice(cookie.indexOf('=') + 1))
  await redis.kill()
  await until('the other instance lost Redis', () => other.cache.redisState !== 'up', 30_000)
  const unavailable = {
    kind: 'deny',
    stage: 'authenticate',
    error: { status: 503, code: 'auth_unavailable', authenticator: 'browser', headers: { 'retry-after': '1' } }
  }
  t.match(await ask(other, ['Cookie', cookie]), unavailable, 'an API call')
  t.match(await ask(other, ['Cookie', cookie, ...page]), unavailable, 'a page load is not sent to log in again')
  t.match(await ask(made, ['Cookie', cookie]), { kind: 'allow' }, 'the instance that holds it in its own tier still answers')
  t.match(await ask(other, page), { kind: 'login' }, 'no cookie at all: nothing to check, the login as before')

  await redis.start()
  await until('the other instance reached Redis again', () => other.cache.redisState === 'up', 30_000)
  t.match(await ask(other, ['Cookie', cookie]), { kind: 'allow', identity: { user: { id: 'alice' } } }, 'once Redis is back')
})
