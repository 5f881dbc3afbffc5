import t from 'tap'
import { authOutcome, authRequest, authUnit } from '../helpers/auth-unit.js'
import { bearer } from '../helpers/jwt-unit.js'
import { introspectionYaml, startIntrospectionEndpoint } from '../helpers/introspection-endpoint.js'

t.test('with no timeout configured, a call the endpoint never answers is given up after 2 s: a 503', async t => {
  const ep = await startIntrospectionEndpoint(t)
  const u = await authUnit(introspectionYaml(ep, { timeout: undefined }))
  let release = (): void => {}
  ep.held = new Promise(resolve => {
    release = resolve
  })
  t.teardown(release)
  const started = performance.now()
  t.match(await authOutcome(u.get('as'), authRequest(bearer('tok-1'))), { status: 503, code: 'auth_unavailable' })
  // A lower bound only: a busy machine may take longer, never shorter.
  t.ok(performance.now() - started >= 1900, 'not before the 2 s default')
})
