import t from 'tap'
import { KEYS, startTestGateway } from '../helpers/gateway.js'
import { startEcho, type Echo } from '../helpers/upstream.js'
import { startRedis } from '../helpers/redis.js'
import { call } from '../helpers/http.js'
import { printedToken, runTokens, userTokenYaml } from '../helpers/api-tokens.js'

t.test('bindUserToClient: a user token made for a client (--client) is accepted with that client only', async t => {
  const upstream = await startEcho(t)
  const redis = await startRedis(t)
  const gw = await startTestGateway(t, userTokenYaml(upstream, redis.url))
  const file = gw.gateway.config.file
  const bound = async (token: string, key: string): Promise<Awaited<ReturnType<typeof call>>> =>
    await call(`${gw.url}/api/bound/1`, { headers: { authorization: `Token ${token}`, 'x-api-key': key } })

  const made = await runTokens(['new', '-c', file, '--user', 'alice', '--client', 'android'])
  t.match(made.out, /^client: +android$/m)
  const android = printedToken(made.out)
  const free = printedToken((await runTokens(['new', '-c', file, '--user', 'alice'])).out)

  const ok = await bound(android, KEYS.android)
  t.equal(ok.status, 200)
  t.match(ok.json<Echo>().headers, { 'remote-user': 'alice', 'remote-client': 'android' })
  const other = await bound(android, KEYS.ios)
  t.equal(other.status, 403, 'the android app\'s user token sent by the ios app')
  t.equal(other.json().code, 'client_mismatch')
  t.equal(other.json().detail, 'the user token belongs to client "android", not "ios"')
  const unbound = await bound(free, KEYS.android)
  t.equal(unbound.status, 403, 'a token made for no client cannot be bound to one: fail closed')
  t.equal(unbound.json().code, 'client_mismatch')
  t.equal((await call(`${gw.url}/api/bound/1`, { headers: { authorization: `Token ${android}` } })).status, 401, 'no client at all')
  t.equal((await call(`${gw.url}/api/me/x`, { headers: { authorization: `Token ${android}` } })).status, 200, 'a route that binds nothing takes it alone')

  const unknown = await runTokens(['new', '-c', file, '--user', 'alice', '--client', 'nosuch'])
  t.equal(unknown.code, 1)
  t.match(unknown.err, /"nosuch" is not one of the config's clients/)
})
