import t from 'tap'
import fc from 'fast-check'
import { handshakeProblem, isWebSocketUpgrade, protocolList } from '../../src/decision/handshake.js'

const GOOD = { 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', 'sec-websocket-version': '13' }

t.test('only an upgrade to websocket (any case) is a WebSocket; h2c or no upgrade is a plain request', async t => {
  t.ok(isWebSocketUpgrade(true, { upgrade: 'websocket' }))
  t.ok(isWebSocketUpgrade(true, { upgrade: 'WebSocket' }))
  t.notOk(isWebSocketUpgrade(true, { upgrade: 'h2c' }))
  t.notOk(isWebSocketUpgrade(true, {}), 'CONNECT: no Upgrade header')
  t.notOk(isWebSocketUpgrade(false, { upgrade: 'websocket' }), 'Upgrade without Connection: upgrade')
})

t.test('the handshake must be a GET with a version 13 (or 8) and a key of 16 bytes in base64', async t => {
  t.equal(handshakeProblem('GET', GOOD), undefined)
  t.equal(handshakeProblem('GET', { ...GOOD, 'sec-websocket-version': '8' }), undefined, 'hybi-08')
  t.equal(handshakeProblem('POST', GOOD), 'a WebSocket upgrade must be a GET')
  for (const version of [undefined, '', '7', '13 ', '14']) {
    t.equal(handshakeProblem('GET', { ...GOOD, 'sec-websocket-version': version }), 'unsupported Sec-WebSocket-Version', String(version))
  }
  t.equal(handshakeProblem('GET', { 'sec-websocket-version': '13' }), 'missing or malformed Sec-WebSocket-Key')
  fc.assert(fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), bytes => {
    return handshakeProblem('GET', { ...GOOD, 'sec-websocket-key': Buffer.from(bytes).toString('base64') }) === undefined
  }))
  // Any other length, or anything after the key, is refused.
  fc.assert(fc.property(fc.uint8Array({ maxLength: 40 }).filter(b => b.length !== 16), fc.boolean(), (bytes, extra) => {
    const key = Buffer.from(bytes).toString('base64') + (extra ? ' ' : '')
    return handshakeProblem('GET', { ...GOOD, 'sec-websocket-key': key }) === 'missing or malformed Sec-WebSocket-Key'
  }))
  t.equal(handshakeProblem('GET', { ...GOOD, 'sec-websocket-key': `x${GOOD['sec-websocket-key']}` }), 'missing or malformed Sec-WebSocket-Key')
})

t.test('the subprotocols offered must be distinct tokens', async t => {
  t.equal(handshakeProblem('GET', { ...GOOD, 'sec-websocket-protocol': 'chat, v2.json' }), undefined)
  t.equal(handshakeProblem('GET', { ...GOOD, 'sec-websocket-protocol': 'chat, chat' }), 'malformed Sec-WebSocket-Protocol', 'a repeat')
  t.equal(handshakeProblem('GET', { ...GOOD, 'sec-websocket-protocol': 'chat, a b' }), 'malformed Sec-WebSocket-Protocol', 'not a token')
  t.equal(handshakeProblem('GET', { ...GOOD, 'sec-websocket-protocol': 'a/b' }), 'malformed Sec-WebSocket-Protocol', 'a separator')
  t.equal(handshakeProblem('GET', { ...GOOD, 'sec-websocket-protocol': ['chat', 'chat'] }), 'malformed Sec-WebSocket-Protocol', 'repeated header lines')
})

t.test('an offer is read as its comma-separated entries across header lines, blanks dropped', async t => {
  t.same(protocolList(undefined), [])
  t.same(protocolList(''), [])
  t.same(protocolList(' chat ,, v2 ,'), ['chat', 'v2'])
  t.same(protocolList(['a, b', 'c']), ['a', 'b', 'c'])
})
