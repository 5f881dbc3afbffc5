import t from 'tap'
import { Writable } from 'node:stream'
import { createLogger } from '../../src/logger.js'
import { authOutcome, authRequest, authUnit } from '../helpers/auth-unit.js'
import { bearer } from '../helpers/jwt-unit.js'
import { introspectionYaml, startIntrospectionEndpoint } from '../helpers/introspection-endpoint.js'
import { until } from '../helpers/until.js'

t.test('an endpoint to be found from an issuer that cannot be reached: a 503, and the warning says the endpoint is unknown', async t => {
  const lines: Array<Record<string, unknown>> = []
  const logger = createLogger('info', [], new Writable({
    write (chunk: Buffer, _e, cb) {
      for (const line of chunk.toString('utf8').split('\n')) if (line !== '') lines.push(JSON.parse(line) as Record<string, unknown>)
      cb()
    }
  }))
  const ep = await startIntrospectionEndpoint(t)
  await ep.stop()
  const u = await authUnit(introspectionYaml(ep, { endpoint: '', issuer: ep.issuer }), undefined, { logger })
  t.match(await authOutcome(u.get('as'), authRequest(bearer('tok-1'))), { status: 503, code: 'auth_unavailable' })
  const failed = (): Record<string, unknown> | undefined => lines.find(l => l.msg === 'token introspection failed: refusing the request')
  await until('the warning', () => failed() !== undefined)
  t.match(failed(), { level: 40, authenticator: 'as', err: { message: /^introspection endpoint unknown: \S/ } })
})
