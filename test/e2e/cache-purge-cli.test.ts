import t from 'tap'
import { Readable, PassThrough } from 'node:stream'
import { text } from 'node:stream/consumers'
import { cachePurge } from '../../cli/cache-purge.js'
import type { TestGateway } from '../helpers/gateway.js'
import { startEcho } from '../helpers/upstream.js'
import { startGatewayPair } from '../helpers/gateway-pair.js'
import { call } from '../helpers/http.js'
import { until } from '../helpers/until.js'
import { introspectionYaml, startAuthServer } from '../helpers/oauth-server.js'

async function runPurge (args: string[], stdin = ''): Promise<{ code: number, out: string, err: string }> {
  const stdout = new PassThrough()
  const stderr = new PassThrough()
  const code = await cachePurge(args, { stdin: Readable.from([stdin]), stdout, stderr, env: process.env })
  stdout.end()
  stderr.end()
  return { code, out: await text(stdout), err: await text(stderr) }
}

t.test('cache: `gatehouse cache purge --token T` drops a token from every running instance', async t => {
  const as = await startAuthServer(t)
  const upstream = await startEcho(t)
  const { redis, a, b } = await startGatewayPair(t, url => introspectionYaml(as, upstream, { redis: url }))
  const status = async (gw: TestGateway, token: string): Promise<number> =>
    (await call(`${gw.url}/api/orders/1`, { headers: { authorization: `Bearer ${token}` } })).status

  const first = await as.mint({ sub: 'alice' })
  const second = await as.mint({ sub: 'bob' })
  for (const token of [first, second]) {
    t.equal(await status(a, token), 200)
    t.equal(await status(b, token), 200)
    await as.revoke(token)
  }
  t.equal(await status(b, first), 200, 'revoked but cached: honoured until purged')

  // --token=T, not --token T: an opaque token can start with '-', which parseArgs takes for an option.
  const byArg = await runPurge(['-c', a.gateway.config.file, `--token=${first}`])
  t.equal(byArg.code, 0, byArg.err)
  const byStdin = await runPurge(['-c', a.gateway.config.file, '--token', '-'], `${second}\n`)
  t.equal(byStdin.code, 0, '--token - reads the token from stdin')
  // Pub/sub delivery is asynchronous: until it arrives an instance still serves its local entry.
  await until('both instances to drop both tokens', async () => {
    for (const gw of [a, b]) for (const token of [first, second]) if (await status(gw, token) !== 401) return false
    return true
  })
  for (const token of [first, second]) {
    t.equal(await status(a, token), 401, 'instance A refuses the purged token')
    t.equal(await status(b, token), 401, 'instance B refuses the purged token')
  }

  const missing = await runPurge(['-c', a.gateway.config.file])
  t.equal(missing.code, 1, 'no token: exit 1')

  await redis.kill()
  const down = await runPurge(['-c', a.gateway.config.file, `--token=${first}`])
  t.equal(down.code, 1, 'Redis down: the purge reports failure rather than pretend')
  t.match(down.err, /redis/)
})
