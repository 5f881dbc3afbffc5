import t from 'tap'
import type { SpanAttributes, Tracer } from '../../src/telemetry/tracing.js'
import { authOutcome, authRequest, authUnit } from '../helpers/auth-unit.js'
import { bearer } from '../helpers/jwt-unit.js'
import { introspectionYaml, startIntrospectionEndpoint } from '../helpers/introspection-endpoint.js'

t.test('each introspection call is a client span named introspection, tagged with the authenticator', async t => {
  const spans: Array<[string, string, SpanAttributes]> = []
  const tracer = {
    inSpan: async (name, kind, attributes, fn) => {
      spans.push([name, kind, attributes])
      return await fn()
    }
  } as Partial<Tracer> as Tracer
  const ep = await startIntrospectionEndpoint(t)
  const u = await authUnit(introspectionYaml(ep), undefined, { tracer })
  ep.answers.set('tok-1', { active: true, sub: 'alice' })
  t.match(await authOutcome(u.get('as'), authRequest(bearer('tok-1'))), { id: 'alice' })
  t.same(spans.filter(([, kind]) => kind === 'client'), [['introspection', 'client', { 'gatehouse.authenticator': 'as' }]], 'the outbound call')
})
