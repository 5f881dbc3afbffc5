import t from 'tap'
import { authOutcome, authRequest, authUnit } from '../helpers/auth-unit.js'
import { bearer } from '../helpers/jwt-unit.js'
import { introspectionYaml, startIntrospectionEndpoint } from '../helpers/introspection-endpoint.js'
import { until } from '../helpers/until.js'
import { capturedLogger } from '../helpers/log-lines.js'

t.test('an answer that is not JSON: a 503, and the warning gives the reason the parser gave', async t => {
  const { logger, lines } = capturedLogger()
  const ep = await startIntrospectionEndpoint(t)
  const u = await authUnit(introspectionYaml(ep), undefined, { logger })
  ep.raw = { status: 200, body: 'not json' }
  t.match(await authOutcome(u.get('as'), authRequest(bearer('tok-1'))), { status: 503, code: 'auth_unavailable' })
  const failed = (): Record<string, unknown> | undefined => lines.find(l => l.msg === 'token introspection failed: refusing the request')
  await until('the warning', () => failed() !== undefined)
  t.match(failed(), { level: 40, authenticator: 'as', err: { message: /^malformed introspection response: \S/ } })
})
