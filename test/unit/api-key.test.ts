import t from 'tap'
import { GatehouseError } from '../../src/errors.js'
import { createApiKeyAuthenticator, hashApiKey } from '../../src/auth/api-key.js'
import { clientUnusable } from '../../src/config/client-usable.js'
import type { AuthenticatorConfig, ClientRecord } from '../../src/config/types.js'
import type { AuthRequest, Authenticator } from '../../src/auth/types.js'
import { manualClock } from '../helpers/clock.js'
import { clientRecord } from '../helpers/client-record.js'

const KEY = 'gh-test-key-android-0123456789'
const OTHER = 'gh-test-key-ios-0123456789'

const record = clientRecord

function authenticator (clients: ClientRecord[], spec: { header?: string, query?: string } = {}, clock = manualClock()): Authenticator {
  const cfg = { name: 'appKey', type: 'apiKey', principal: 'client', spec: { type: 'apiKey', ...spec } } as unknown as AuthenticatorConfig<'apiKey'>
  return createApiKeyAuthenticator(cfg, new Map(clients.map(c => [c.id, c])), clock)
}

const req = (headers: AuthRequest['headers'] = {}, query = ''): AuthRequest => ({ method: 'GET', headers, query, ip: '127.0.0.1' })

async function outcome (a: Authenticator, r: AuthRequest): Promise<{ id?: string, code?: string, detail?: string, challenge?: string } | undefined> {
  try {
    const principal = await a.authenticate(r)
    return principal === undefined ? undefined : { id: principal.id }
  } catch (err) {
    if (!(err instanceof GatehouseError)) throw err
    return { code: err.code, detail: err.detail, challenge: JSON.stringify(err.challenges) }
  }
}

t.test('a key is found by its hash: the client it belongs to, with the client\'s scopes and the authenticator\'s name', async t => {
  const android = record('android', { apiKeys: [{ hash: hashApiKey(KEY), expiresAt: null }], scopes: ['orders:read'] })
  const a = authenticator([android, record('ios', { apiKeys: [{ hash: hashApiKey(OTHER), expiresAt: null }] })])
  t.same(await a.authenticate(req({ 'x-api-key': KEY })), { kind: 'client', id: 'android', client: android, scopes: ['orders:read'], authenticator: 'appKey' })
  t.equal((await a.authenticate(req({ 'x-api-key': OTHER })))?.id, 'ios')
  t.same(await outcome(a, req({ 'x-api-key': `${KEY}x` })), {
    code: 'invalid_credentials',
    detail: 'unknown API key',
    challenge: JSON.stringify([{ scheme: 'ApiKey', params: { realm: 'gatehouse', header: 'X-API-Key' } }])
  })
  t.equal(hashApiKey(KEY), 'f3d93e3397007312d9b6b721ad5ceabb08284fab2b7bdd8b93ff6bdedb2dbf10', 'the stored form is the key\'s sha256, hex')
})

t.test('no key, an empty key or an empty query is no credential: undefined, for the policy to decide', async t => {
  const a = authenticator([record('android', { apiKeys: [{ hash: hashApiKey(KEY), expiresAt: null }] })], { query: 'api_key' })
  t.equal(await outcome(a, req()), undefined)
  t.equal(await outcome(a, req({ 'x-api-key': '' })), undefined)
  t.equal(await outcome(a, req({}, 'api_key=')), undefined)
  t.equal(await outcome(a, req({}, 'other=1')), undefined)
  t.same(a.consumes, { headers: ['x-api-key'], query: ['api_key'] })
  t.same(authenticator([]).consumes, { headers: ['x-api-key'], query: [] }, 'without a query parameter only the header is consumed')
  t.same([a.name, a.type, a.principal], ['appKey', 'apiKey', 'client'])
})

t.test('the query parameter is read only when configured, and the header wins', async t => {
  const clients = [
    record('android', { apiKeys: [{ hash: hashApiKey(KEY), expiresAt: null }] }),
    record('ios', { apiKeys: [{ hash: hashApiKey(OTHER), expiresAt: null }] })
  ]
  const withQuery = authenticator(clients, { query: 'api_key' })
  t.same(await outcome(withQuery, req({}, `a=1&api_key=${KEY}`)), { id: 'android' })
  t.same(await outcome(withQuery, req({ 'x-api-key': OTHER }, `api_key=${KEY}`)), { id: 'ios' }, 'the header is read first')
  t.equal(await outcome(authenticator(clients), req({}, `api_key=${KEY}`)), undefined, 'no query configured: a key in the query is not read')
})

t.test('two keys at once are refused, never one picked', async t => {
  const a = authenticator([record('android', { apiKeys: [{ hash: hashApiKey(KEY), expiresAt: null }] })], { query: 'api_key' })
  t.match(await outcome(a, req({ 'x-api-key': [KEY, KEY] })), { code: 'invalid_credentials', detail: 'more than one API key presented' })
  t.match(await outcome(a, req({}, `api_key=${KEY}&api_key=${KEY}`)), { code: 'invalid_credentials', detail: 'more than one API key presented' })
})

t.test('a custom header is read lowercased and named in the challenge as written', async t => {
  const a = authenticator([record('android', { apiKeys: [{ hash: hashApiKey(KEY), expiresAt: null }] })], { header: 'X-App-Key' })
  t.same(await outcome(a, req({ 'x-app-key': KEY })), { id: 'android' })
  t.equal(await outcome(a, req({ 'x-api-key': KEY })), undefined, 'the default header is not read')
  t.same(a.challenge, { scheme: 'ApiKey', params: { realm: 'gatehouse', header: 'X-App-Key' } })
  t.same(a.consumes.headers, ['x-app-key'])
})

t.test('a key expires after its expiresAt, by the injected clock', async t => {
  const clock = manualClock()
  const a = authenticator([record('android', { apiKeys: [{ hash: hashApiKey(KEY), expiresAt: clock() + 1000 }] })], {}, clock)
  clock.advance(1000)
  t.same(await outcome(a, req({ 'x-api-key': KEY })), { id: 'android' }, 'at its expiresAt: still valid')
  clock.advance(1)
  t.match(await outcome(a, req({ 'x-api-key': KEY })), { code: 'invalid_credentials', detail: 'API key has expired' })
})

t.test('a disabled or expired client is refused with the reason, by the injected clock', async t => {
  const clock = manualClock()
  const expires = clock() + 1000
  const a = authenticator([
    record('android', { apiKeys: [{ hash: hashApiKey(KEY), expiresAt: null }], expiresAt: expires }),
    record('ios', { apiKeys: [{ hash: hashApiKey(OTHER), expiresAt: null }], disabled: true })
  ], {}, clock)
  t.match(await outcome(a, req({ 'x-api-key': OTHER })), { code: 'invalid_credentials', detail: 'client is disabled' })
  clock.advance(1000)
  t.same(await outcome(a, req({ 'x-api-key': KEY })), { id: 'android' }, 'at the client\'s expiresAt: still usable')
  clock.advance(1)
  t.match(await outcome(a, req({ 'x-api-key': KEY })), { code: 'invalid_credentials', detail: 'client has expired' })
  t.equal(clientUnusable(record('c', { expiresAt: expires }), expires), undefined)
  t.equal(clientUnusable(record('c', { expiresAt: expires }), expires + 1), 'client has expired')
  t.equal(clientUnusable(record('c'), expires + 1), undefined, 'no expiresAt: never expires')
})
