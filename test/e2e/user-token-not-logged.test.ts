import t from 'tap'
import { startTestGateway } from '../helpers/gateway.js'
import { startEcho } from '../helpers/upstream.js'
import { startRedis } from '../helpers/redis.js'
import { call } from '../helpers/http.js'
import { ADMIN_TOKEN, printedId, printedToken, runTokens, userTokenYaml } from '../helpers/api-tokens.js'

t.test('a user token never reaches a log line: used, refused, revoked, made on the admin listener, at debug level', async t => {
  const upstream = await startEcho(t)
  const redis = await startRedis(t)
  const gw = await startTestGateway(t, userTokenYaml(upstream, redis.url, { authenticator: '    header: X-User-Token\n', server: '  logLevel: debug\n' }))
  const file = gw.gateway.config.file
  const made = await runTokens(['new', '-c', file, '--user', 'alice'])
  const token = printedToken(made.out)
  const statuses: number[] = []
  const send = async (value: string): Promise<void> => {
    statuses.push((await call(`${gw.url}/api/me/x?q=1`, { headers: { 'x-user-token': value } })).status)
  }
  await send(token)
  await send(`${token}x`)
  const viaAdmin = await call(`${gw.adminUrl as string}/tokens`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ user: 'bob' })
  })
  const adminToken = viaAdmin.json<{ token: string }>().token
  await send(adminToken)
  await runTokens(['revoke', '-c', file, printedId(made.out)])
  await send(token)
  t.same(statuses, [200, 401, 200, 401])

  const lines = gw.logs.filter(l => l.msg === 'request')
  t.match(
    lines.map(l => l.reason),
    [undefined, 'invalid_token: unknown or revoked token', undefined, 'invalid_token: unknown or revoked token'],
    'each refusal logged with its reason'
  )
  t.match(lines.map(l => l.user), ['alice', undefined, 'bob', undefined])
  const text = gw.logText()
  for (const secret of [token, adminToken]) {
    const body = secret.slice(4)
    for (let i = 0; i + 12 <= body.length; i += 6) t.notOk(text.includes(body.slice(i, i + 12)), 'no part of a token in the logs')
  }
})
