import t from 'tap'
import { until } from '../helpers/until.js'
import { PassThrough, Readable } from 'node:stream'
import { text } from 'node:stream/consumers'
import { sessionsRevoke } from '../../cli/sessions.js'
import { startTestGateway } from '../helpers/gateway.js'
import { startEcho } from '../helpers/upstream.js'
import { startRedis } from '../helpers/redis.js'
import { call } from '../helpers/http.js'
import { freePort } from '../helpers/ports.js'
import { logIn, oidcGatewayYaml, ScriptedBrowser, startOidcProvider } from '../helpers/oidc-provider.js'

async function revoke (args: string[]): Promise<{ code: number, out: string, err: string }> {
  const stdout = new PassThrough()
  const stderr = new PassThrough()
  const code = await sessionsRevoke(args, { stdin: Readable.from(['']), stdout, stderr, env: process.env })
  stdout.end()
  stderr.end()
  return { code, out: await text(stdout), err: await text(stderr) }
}

t.test('oidc: `gatehouse sessions revoke --user alice` ends her sessions on every instance, and no one else\'s', async t => {
  const [portA, portB] = [await freePort(), await freePort()]
  const [originA, originB] = [`http://127.0.0.1:${portA}`, `http://127.0.0.1:${portB}`]
  const op = await startOidcProvider(t, { origins: [originA, originB] })
  const upstream = await startEcho(t)
  const redis = await startRedis(t)
  const a = await startTestGateway(t, oidcGatewayYaml({ port: portA, provider: op, upstream, redis: redis.url }))
  await startTestGateway(t, oidcGatewayYaml({ port: portB, provider: op, upstream, redis: redis.url }))
  const laptop = await logIn(new ScriptedBrowser(), originA, '/app/', 'alice')
  const phone = await logIn(new ScriptedBrowser(), originB, '/app/', 'alice')
  const bob = await logIn(new ScriptedBrowser(), originA, '/app/', 'bob')
  const status = async (origin: string, sid: string): Promise<number> =>
    (await call(`${origin}/app/x`, { headers: { cookie: `gatehouse-session=${sid}`, accept: 'application/json' } })).status
  for (const origin of [originA, originB]) {
    for (const { sid } of [laptop, phone, bob]) t.equal(await status(origin, sid), 200, 'logged in, and known to both instances')
  }

  const done = await revoke(['-c', a.gateway.config.file, '--user', 'alice'])
  t.equal(done.code, 0, done.err)
  t.equal(done.out, '2 sessions of alice ended on every instance\n')
  // Each instance hears of it over pub/sub, in its own time.
  await until('both instances to end alice\'s sessions', async () => {
    for (const origin of [originA, originB]) if (await status(origin, laptop.sid) !== 401 || await status(origin, phone.sid) !== 401) return false
    return true
  })
  for (const origin of [originA, originB]) {
    t.equal(await status(origin, laptop.sid), 401, 'alice\'s first session is gone')
    t.equal(await status(origin, phone.sid), 401, 'and her second')
    t.equal(await status(origin, bob.sid), 200, 'bob is still logged in')
  }
  t.equal((await revoke(['-c', a.gateway.config.file])).code, 1, 'no --user: exit 1')
  await redis.kill()
  const down = await revoke(['-c', a.gateway.config.file, '--user', 'bob'])
  t.equal(down.code, 1, 'Redis down: says so, exit 1')
  t.match(down.err, /redis/)
})
