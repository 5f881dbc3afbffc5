import t from 'tap'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { tempDir } from '../helpers/gateway.js'
import { startEcho } from '../helpers/upstream.js'
import { freePort } from '../helpers/ports.js'
import { basic, SECRETS } from '../helpers/tokens.js'
import { hashSecret } from '../../src/secrets/client-secret.js'
import { onNewConnection, servedBy, startCli } from '../helpers/cluster.js'

t.test('workers: without tokens.signingKeys every worker shares the ephemeral key, so a token works on each', async t => {
  const upstream = await startEcho(t)
  const port = await freePort()
  const file = join(tempDir(t), 'gw.yaml')
  writeFileSync(file, `server:
  listen: 127.0.0.1:${port}
  admin: false
  workers: 2
clients:
  - id: android
    secretHash: "${await hashSecret(SECRETS.android)}"
authenticators:
  appToken: { type: clientToken }
upstreams:
  orders: { url: "${upstream}" }
routes:
  - match: /api/*
    upstream: orders
    policy: client
    client: [appToken]
`)
  const gw = startCli(t, file)
  await gw.waitForLog(() => gw.listeningPids().length === 2)

  const issued = await onNewConnection(`http://127.0.0.1:${port}/oauth/token`, {
    method: 'POST',
    headers: { authorization: basic('android', SECRETS.android), 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials'
  })
  t.equal(issued.status, 200)
  const token = (JSON.parse(issued.body) as { access_token: string }).access_token

  const used = await servedBy(gw, `http://127.0.0.1:${port}/api/orders`, 6, { 'x-client-token': token })
  t.same(used.statuses, [200, 200, 200, 200, 200, 200], 'the token one worker signed passes on every worker')
  t.same(new Set(used.pids), new Set(gw.listeningPids()), 'both workers checked it')
  const jwks = await Promise.all([1, 2, 3, 4].map(async () => (await onNewConnection(`http://127.0.0.1:${port}/.well-known/jwks.json`)).body))
  t.equal(new Set(jwks).size, 1, 'one published key set')

  gw.child.kill('SIGTERM')
  t.equal(await gw.exited, 0)
})
