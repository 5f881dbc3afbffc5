import t from 'tap'
import { ERRORS, GatehouseError, isGatehouseError, renderChallenge, toGatehouseError, toProblem } from '../../src/errors.js'
import { upstreamError } from '../../src/proxy/upstream-error.js'

t.test('every code has one status and title; the problem body names the code and request', async t => {
  for (const [code, { status, title }] of Object.entries(ERRORS)) {
    const err = new GatehouseError(code as keyof typeof ERRORS, 'why')
    t.equal(err.status, status)
    t.same(toProblem(err, 'req-1'), { type: `urn:gatehouse:problem:${code}`, title, status, code, detail: 'why', requestId: 'req-1' })
    t.ok(isGatehouseError(err))
  }
  t.notOk(isGatehouseError(new Error('x')))
})

t.test('challenges render as WWW-Authenticate values: quotes escaped, control characters dropped', async t => {
  t.equal(renderChallenge({ scheme: 'Bearer', params: {} }), 'Bearer')
  t.equal(
    renderChallenge({ scheme: 'Bearer', params: { realm: 'gatehouse', error_description: 'say "hi" \\ bye' } }),
    'Bearer realm="gatehouse", error_description="say \\"hi\\" \\\\ bye"'
  )
  t.equal(renderChallenge({ scheme: 'ApiKey', params: { realm: 'a\r\nSet-Cookie: x' } }), 'ApiKey realm="aSet-Cookie: x"')
})

t.test('any error becomes one of ours; an internal message is never shown', async t => {
  const own = new GatehouseError('forbidden', 'no')
  t.equal(toGatehouseError(own), own)
  t.equal(toGatehouseError(Object.assign(new Error('too big'), { statusCode: 413 })).code, 'payload_too_large')
  t.equal(toGatehouseError(Object.assign(new Error('bad'), { statusCode: 400 })).code, 'bad_request')
  const internal = toGatehouseError(new Error('database password is hunter2'))
  t.equal(internal.code, 'internal_error')
  t.notMatch(internal.detail, /hunter2/)
  t.equal(toGatehouseError(null).code, 'internal_error')
})

t.test('upstream failures: slow is 504, unreachable or broken is 502, never 500', async t => {
  const timeout = upstreamError(new Error('x', { cause: Object.assign(new Error('t'), { code: 'UND_ERR_HEADERS_TIMEOUT' }) }), 'orders')
  t.same([timeout.code, timeout.status, timeout.detail], ['upstream_timeout', 504, 'upstream orders did not answer in time'])
  t.equal(upstreamError(Object.assign(new Error('x'), { statusCode: 504 }), 'orders').code, 'upstream_timeout')
  const refused = upstreamError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), 'orders')
  t.same([refused.code, refused.status], ['upstream_unavailable', 502])
  const ours = new GatehouseError('payload_too_large', 'x')
  t.equal(upstreamError(new Error('wrapped', { cause: ours }), 'orders'), ours, 'a decision of ours in the chain stands')
})
