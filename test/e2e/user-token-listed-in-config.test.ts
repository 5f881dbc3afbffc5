import t from 'tap'
import { KEYS, keyHash, startTestGateway } from '../helpers/gateway.js'
import { startEcho, type Echo } from '../helpers/upstream.js'
import { call } from '../helpers/http.js'
import { userTokenYaml } from '../helpers/api-tokens.js'
import { ConfigError, parseConfig } from '../../src/config/load.js'

const ALICE = '9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b'
const BOB = 'ghu_bob-token-listed-in-the-config-000000000'
const OLD = 'ghu_old-token-listed-in-the-config-000000000'

const tokens = `    tokens:
      - { hash: "${keyHash(ALICE)}", user: alice, scopes: [orders:read] }
      - { hash: "${keyHash(BOB)}", user: bob, client: android }
      - { hash: "${keyHash(OLD)}", user: carol, expires: 2020-01-01 }
`

t.test('without Redis, a config lists token hashes; the header and scheme are configurable', async t => {
  const upstream = await startEcho(t)

  await t.test('Authorization: Token, as DRF', async t => {
    const gw = await startTestGateway(t, userTokenYaml(upstream, undefined, { authenticator: tokens }))
    const alice = await call(`${gw.url}/api/orders/1`, { headers: { authorization: `Token ${ALICE}` } })
    t.equal(alice.status, 200)
    t.match(alice.json<Echo>().headers, { 'remote-user': 'alice', 'remote-scopes': 'orders:read' })
    t.equal(
      (await call(`${gw.url}/api/bound/1`, { headers: { authorization: `Token ${BOB}`, 'x-api-key': KEYS.android } })).status,
      200,
      "bob's token belongs to android"
    )
    t.equal((await call(`${gw.url}/api/bound/1`, { headers: { authorization: `Token ${BOB}`, 'x-api-key': KEYS.ios } })).status, 403, 'and to no other client')
    const old = await call(`${gw.url}/api/me/x`, { headers: { authorization: `Token ${OLD}` } })
    t.equal(old.status, 401, 'a listed token past its expires')
    t.equal(old.json().detail, 'token has expired')
    const unknown = await call(`${gw.url}/api/me/x`, { headers: { authorization: `Token ${ALICE.replace('9', '8')}` } })
    t.equal(unknown.status, 401, 'a token not listed, and no Redis to ask')
    t.equal(unknown.json().code, 'invalid_token')
    const empty = await call(`${gw.url}/api/me/x`, { headers: { authorization: 'Token' } })
    t.equal(empty.status, 401, 'the scheme alone')
    t.equal(empty.json().detail, 'invalid token header: no token given')
    const bearer = await call(`${gw.url}/api/me/x`, { headers: { authorization: `Bearer ${ALICE}` } })
    t.equal(bearer.status, 401, 'another scheme is not this authenticator\'s, and no other takes it')
    t.equal(bearer.json().code, 'invalid_token')
  })

  await t.test('header: X-User-Token carries the bare token', async t => {
    const gw = await startTestGateway(t, userTokenYaml(upstream, undefined, { authenticator: `    header: X-User-Token\n${tokens}` }))
    const alice = await call(`${gw.url}/api/me/x`, { headers: { 'x-user-token': ALICE } })
    t.equal(alice.status, 200)
    t.equal(alice.json<Echo>().headers['remote-user'], 'alice')
    t.equal(alice.json<Echo>().headers['x-user-token'], undefined, 'not forwarded')
    const none = await call(`${gw.url}/api/me/x`)
    t.equal(none.headers['www-authenticate'], 'Token realm="gatehouse", header="X-User-Token"')
    t.equal((await call(`${gw.url}/api/me/x`, { headers: { authorization: `Token ${ALICE}` } })).status, 401, 'Authorization is not read then')
  })

  await t.test('scheme: Key reads Authorization: Key <token>, as a DRF TokenAuthentication subclass with keyword = "Key"', async t => {
    const gw = await startTestGateway(t, userTokenYaml(upstream, undefined, { authenticator: `    scheme: Key\n${tokens}` }))
    t.equal((await call(`${gw.url}/api/me/x`, { headers: { authorization: `Key ${ALICE}` } })).status, 200)
    t.equal((await call(`${gw.url}/api/me/x`, { headers: { authorization: `Token ${ALICE}` } })).status, 401)
  })

  await t.test('a userToken authenticator with neither Redis nor listed tokens is a config error', async t => {
    const err = t.throws(() => parseConfig(userTokenYaml('http://127.0.0.1:1', undefined), '/x/gateway.config.yaml')) as ConfigError
    t.match(
      err.issues.map(i => `${i.path}: ${i.message}`),
      ['authenticators.personal: a userToken authenticator needs cache.redis (where `gatehouse tokens` keeps them) or a tokens: list of hashes']
    )
  })
})
