import t from 'tap'
import { authOutcome, authRequest, authUnit } from '../helpers/auth-unit.js'
import { bearer } from '../helpers/jwt-unit.js'
import { GATEWAY_CLIENT, introspectionYaml, startIntrospectionEndpoint } from '../helpers/introspection-endpoint.js'

t.test("clientAuth basic (the default): the gateway's id and secret in Authorization, the token and its hint in the form", async t => {
  const ep = await startIntrospectionEndpoint(t)
  const u = await authUnit(introspectionYaml(ep))
  ep.answers.set('tok-1', { active: true, sub: 'alice' })
  t.match(await authOutcome(u.get('as'), authRequest(bearer('tok-1'))), { id: 'alice' })
  t.same(ep.calls, [
    {
      form: { token: 'tok-1', token_type_hint: 'access_token' },
      // RFC 6749 §2.3.1: id and secret are form-encoded before Basic (a `-` is %2D).
      authorization: `Basic ${Buffer.from(`${GATEWAY_CLIENT.id}:${GATEWAY_CLIENT.secret.replaceAll('-', '%2D')}`).toString('base64')}`
    }
  ])
})

t.test('clientAuth post: the id and secret are form fields, no Authorization', async t => {
  const ep = await startIntrospectionEndpoint(t)
  const u = await authUnit(introspectionYaml(ep, { clientAuth: 'post' }))
  ep.answers.set('tok-1', { active: true, sub: 'alice' })
  t.match(await authOutcome(u.get('as'), authRequest(bearer('tok-1'))), { id: 'alice' })
  t.same(ep.calls, [
    { form: { token: 'tok-1', token_type_hint: 'access_token', client_id: GATEWAY_CLIENT.id, client_secret: GATEWAY_CLIENT.secret }, authorization: undefined }
  ])
})

t.test("issuer instead of endpoint: the endpoint is found in the issuer's metadata", async t => {
  const ep = await startIntrospectionEndpoint(t)
  const u = await authUnit(introspectionYaml(ep, { endpoint: undefined, issuer: ep.issuer }))
  ep.answers.set('tok-1', { active: true, sub: 'alice' })
  t.match(await authOutcome(u.get('as'), authRequest(bearer('tok-1'))), { id: 'alice' })
  t.equal(ep.calls.length, 1)
  await u.get('as').close?.()
})

t.test('an issuer whose metadata cannot be had: 503, the token never sent anywhere', async t => {
  const ep = await startIntrospectionEndpoint(t)
  await ep.stop()
  const u = await authUnit(introspectionYaml(ep, { endpoint: undefined, issuer: ep.issuer }))
  t.match(await authOutcome(u.get('as'), authRequest(bearer('tok-1'))), {
    status: 503,
    code: 'auth_unavailable',
    detail: 'the authorization server could not check the token'
  })
  await u.get('as').close?.()
})
