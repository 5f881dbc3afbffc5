import t from 'tap'
import { createGateway } from '../../src/gateway.js'
import { createLogger } from '../../src/logger.js'
import { decide } from '../../src/decision/decide.js'
import { decisionRequest } from '../../src/decision/request.js'
import { configOf } from '../helpers/config.js'
import { manualClock } from '../helpers/clock.js'
import { OFFLINE_BROWSER_LOGIN } from '../helpers/offline-browser-login.js'

// The logout endpoint needs no provider round trip to be refused or let through: the issuer is never asked.
t.test('the logout endpoint is an endpoint outcome from this site, and 403 csrf_failed from another site or with no origin', async t => {
  const gateway = await createGateway(configOf(`cache:
  redis: ""
authenticators:
  ${OFFLINE_BROWSER_LOGIN}
upstreams:
  web: { url: "http://127.0.0.1:9" }
routes:
  - { match: /app/*, upstream: web, policy: user, user: [browser] }
`), createLogger('silent'), { clock: manualClock() })
  t.teardown(async () => await gateway.close())
  const logout = async (extra: string[]): Promise<unknown> =>
    await decide(gateway, decisionRequest({ method: 'POST', target: '/oauth2/logout', rawHeaders: ['Host', 'gw.test', ...extra] }))
  t.match(await logout(['Origin', 'http://gw.test']), { kind: 'endpoint', endpoint: 'logout', authenticator: 'browser', path: '/oauth2/logout' })
  for (const [why, extra] of [
    ['another site', ['Origin', 'https://evil.example']],
    ['another port', ['Origin', 'http://gw.test:8080']],
    ['no Origin nor Referer', []]
  ] as Array<[string, string[]]>) {
    t.match(await logout(extra), {
      kind: 'deny',
      stage: 'route',
      route: undefined,
      error: { status: 403, code: 'csrf_failed', detail: 'logout must be asked from this site', principal: 'user', authenticator: 'browser' }
    }, why)
  }
  // The provider's redirect back is cross-site by nature: only logout takes the check.
  const callback = decisionRequest(
    { method: 'GET', target: '/oauth2/callback?code=c&state=s', rawHeaders: ['Host', 'gw.test', 'Sec-Fetch-Site', 'cross-site'] }
  )
  t.match(await decide(gateway, callback),
    { kind: 'endpoint', endpoint: 'redirect', authenticator: 'browser' }, 'the login callback from another site')
})
