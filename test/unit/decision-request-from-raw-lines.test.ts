import t from 'tap'
import { decisionRequest, upgradeRequested } from '../../src/decision/request.js'

t.test('a request from raw lines: Node\'s header joining, a plain-HTTP connection from 127.0.0.1 unless told', async t => {
  const r = decisionRequest({ method: 'GET', target: '/a?b=1', rawHeaders: ['Host', 'gw.test', 'X-A', '1', 'x-a', '2'] })
  t.same(r, {
    method: 'GET',
    target: '/a?b=1',
    headers: { host: 'gw.test', 'x-a': '1, 2' },
    upgrade: false,
    peer: { address: '127.0.0.1' },
    tls: { encrypted: false, authorized: false }
  })
  const tls = { encrypted: true, authorized: true }
  t.match(decisionRequest({ method: 'GET', target: '/', rawHeaders: [], peer: '10.0.0.7', tls }), { peer: { address: '10.0.0.7' }, tls })
  t.equal(decisionRequest({ method: 'GET', target: '/', rawHeaders: ['Connection', 'Upgrade', 'Upgrade', 'websocket'] }).upgrade, true)
})

t.test('an upgrade as llhttp reads it: CONNECT, or Upgrade with upgrade among Connection\'s tokens', async t => {
  t.ok(upgradeRequested('CONNECT', {}))
  t.ok(upgradeRequested('GET', { upgrade: 'websocket', connection: ' Upgrade ' }))
  t.ok(upgradeRequested('GET', { upgrade: 'websocket', connection: 'keep-alive,upgrade' }))
  t.ok(upgradeRequested('GET', { upgrade: 'websocket', connection: ['keep-alive', 'upgrade'] }), 'Connection on two lines')
  t.notOk(upgradeRequested('GET', { upgrade: 'websocket', connection: 'keep-alive, upgraded' }), 'a token that only starts with upgrade')
  t.notOk(upgradeRequested('GET', { upgrade: 'websocket', connection: 'close' }))
})
