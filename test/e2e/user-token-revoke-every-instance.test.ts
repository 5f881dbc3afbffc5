import t from 'tap'
import { startTestGateway, type TestGateway } from '../helpers/gateway.js'
import { startEcho, type Echo } from '../helpers/upstream.js'
import { startRedis } from '../helpers/redis.js'
import { call } from '../helpers/http.js'
import { printedId, printedToken, runTokens, userTokenYaml } from '../helpers/api-tokens.js'

t.test('tokens new / list / revoke: a revocation holds on every instance at once', async t => {
  const upstream = await startEcho(t)
  const redis = await startRedis(t)
  const yaml = userTokenYaml(upstream, redis.url)
  const a = await startTestGateway(t, yaml)
  const b = await startTestGateway(t, yaml)
  const file = a.gateway.config.file
  const me = async (gw: TestGateway, token: string): Promise<Awaited<ReturnType<typeof call>>> =>
    await call(`${gw.url}/api/me/x`, { headers: { authorization: `Token ${token}` } })

  const made = await runTokens(['new', '-c', file, '--user', 'alice', '--scopes', 'orders:read,orders:write'])
  t.equal(made.code, 0, made.err)
  const alice = printedToken(made.out)
  const aliceId = printedId(made.out)
  t.match(alice, /^ghu_[A-Za-z0-9_-]{43}$/)
  const bob1 = printedToken((await runTokens(['new', '-c', file, '--user', 'bob'])).out)
  const bob2 = printedToken((await runTokens(['new', '-c', file, '--user', 'bob'])).out)

  for (const gw of [a, b]) {
    for (const [token, user] of [[alice, 'alice'], [bob1, 'bob'], [bob2, 'bob']] as const) {
      const res = await me(gw, token)
      t.equal(res.status, 200)
      t.equal(res.json<Echo>().headers['remote-user'], user, `${user}'s token is ${user} upstream`)
      t.equal(res.json<Echo>().headers.authorization, undefined, 'the token is not forwarded')
    }
  }
  t.equal((await me(a, alice)).json<Echo>().headers['remote-scopes'], 'orders:read orders:write')
  t.equal((await call(`${a.url}/api/me/x`, { headers: { authorization: `token  ${alice}` } })).status, 200, 'the scheme is case-insensitive, as in DRF')

  const listed = await runTokens(['list', '-c', file])
  t.equal(listed.code, 0, listed.err)
  const rows = listed.out.trim().split('\n')
  t.match(rows[0], /^ID +USER +SCOPES +CLIENT +CREATED +EXPIRES +LAST USED$/)
  t.equal(rows.length, 4, 'a header and three tokens')
  t.match(listed.out, new RegExp(`^${aliceId} +alice +orders:read,orders:write +- +\\d{4}-\\d\\d-\\d\\dT[\\d:]+Z +- +\\d{4}-`, 'm'), 'alice\'s token, used')
  for (const token of [alice, bob1, bob2]) t.notOk(listed.out.includes(token) || listed.out.includes(token.slice(4, 20)), 'never a token in the listing')
  const bobs = await runTokens(['list', '-c', file, '--user', 'bob'])
  t.equal(bobs.out.trim().split('\n').length, 3, '--user bob: bob\'s two tokens')

  const revoked = await runTokens(['revoke', '-c', file, aliceId])
  t.equal(revoked.code, 0, revoked.err)
  for (const gw of [a, b]) {
    const res = await me(gw, alice)
    t.equal(res.status, 401, 'revoked: refused at once, by both instances, though both had it in their local tier')
    t.equal(res.json().code, 'invalid_token')
    t.equal(res.headers['www-authenticate'], 'Token realm="gatehouse", error="invalid_token", error_description="unknown or revoked token"')
  }
  t.equal((await runTokens(['revoke', '-c', file, aliceId])).code, 1, 'revoking an unknown id fails')

  const byUser = await runTokens(['revoke', '-c', file, '--user', 'bob'])
  t.equal(byUser.out, 'revoked 2 tokens of bob\n')
  for (const gw of [a, b]) for (const token of [bob1, bob2]) t.equal((await me(gw, token)).status, 401, 'every token of bob, everywhere')
  t.equal((await runTokens(['list', '-c', file])).out.trim().split('\n').length, 1, 'nothing left to list')

  const none = await call(`${a.url}/api/me/x`)
  t.equal(none.status, 401)
  t.equal(none.json().code, 'missing_credentials')
  t.equal(none.headers['www-authenticate'], 'Token realm="gatehouse"', 'the challenge names the Token scheme')
  t.equal((await me(a, 'ghu_never-issued')).status, 401, 'an unknown token')
})
