import t from 'tap'
import { authOutcome, authRequest, authUnit } from '../helpers/auth-unit.js'
import { bearer, jwtYaml, signAt } from '../helpers/jwt-unit.js'

t.test('on a WebSocket upgrade the token may come from a subprotocol entry or a query parameter, if configured', async t => {
  const u = await authUnit(jwtYaml({ webSocket: { protocol: 'bearer.', query: 'access_token' } }))
  const idp = u.get('idp')
  const token = await signAt(u.clock)
  const other = await signAt(u.clock, undefined, { sub: 'bob' })
  t.same(idp.consumes, { headers: ['authorization'], query: ['access_token'], protocols: ['bearer.'] })
  t.match(await authOutcome(idp, authRequest({ 'sec-websocket-protocol': `chat, bearer.${token}` }, { upgrade: true })), { id: 'alice' })
  t.match(await authOutcome(idp, authRequest({}, { upgrade: true, query: `x=1&access_token=${token}` })), { id: 'alice' })
  t.match(
    await authOutcome(idp, authRequest({ ...bearer(other), 'sec-websocket-protocol': `bearer.${token}` }, { upgrade: true, query: `access_token=${token}` })),
    { id: 'bob' },
    'Authorization first'
  )
  t.match(
    await authOutcome(idp, authRequest({ authorization: 'Bearer ', 'sec-websocket-protocol': `bearer.${token}` }, { upgrade: true })),
    { id: 'alice' },
    'an empty Authorization Bearer is none: the subprotocol\'s token is read'
  )
  t.match(
    await authOutcome(idp, authRequest({ 'sec-websocket-protocol': `bearer.${other}` }, { upgrade: true, query: `access_token=${token}` })),
    { id: 'bob' },
    'then the subprotocol'
  )
  t.match(
    await authOutcome(idp, authRequest({ 'sec-websocket-protocol': 'chat, x.bearer.abc' }, { upgrade: true, query: `access_token=${token}` })),
    { id: 'alice' },
    'an entry must start with the prefix'
  )
  t.equal(
    await authOutcome(idp, authRequest({ 'sec-websocket-protocol': `bearer.${token}` }, { query: `access_token=${token}` })),
    undefined,
    'not an upgrade: neither is read'
  )
  t.equal(await authOutcome(idp, authRequest({}, { upgrade: true, query: 'other=1' })), undefined)
  t.equal(await authOutcome(idp, authRequest({}, { upgrade: true })), undefined)
  t.equal(await authOutcome(idp, authRequest({ 'sec-websocket-protocol': ['a', 'b'] }, { upgrade: true })), undefined, 'a list (never from Node) is not read')
})

t.test('without webSocket configured an upgrade reads only Authorization', async t => {
  const u = await authUnit(jwtYaml())
  const token = await signAt(u.clock)
  t.equal(
    await authOutcome(u.get('idp'), authRequest({ 'sec-websocket-protocol': `bearer.${token}` }, { upgrade: true, query: `access_token=${token}` })),
    undefined
  )
  t.match(await authOutcome(u.get('idp'), authRequest(bearer(token), { upgrade: true })), { id: 'alice' })
})

t.test('only a subprotocol configured: the query is not read, and the reverse', async t => {
  const proto = await authUnit(jwtYaml({ webSocket: { protocol: 'bearer.' } }))
  const token = await signAt(proto.clock)
  t.equal(await authOutcome(proto.get('idp'), authRequest({}, { upgrade: true, query: `access_token=${token}` })), undefined)
  t.same(proto.get('idp').consumes, { headers: ['authorization'], query: [], protocols: ['bearer.'] })
  const query = await authUnit(jwtYaml({ webSocket: { query: 'access_token' } }), proto.clock)
  t.equal(await authOutcome(query.get('idp'), authRequest({ 'sec-websocket-protocol': `bearer.${token}` }, { upgrade: true })), undefined)
  t.match(
    await authOutcome(query.get('idp'), authRequest({ 'sec-websocket-protocol': `bearer.${token}` }, { upgrade: true, query: `access_token=${token}` })),
    { id: 'alice' }
  )
})
