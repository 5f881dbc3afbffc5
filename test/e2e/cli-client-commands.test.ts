import t from 'tap'
import { spawn } from 'node:child_process'
import { decodeJwt } from 'jose'
import { TEST_SERVER, startTestGateway } from '../helpers/gateway.js'
import { startEcho, type Echo } from '../helpers/upstream.js'
import { call } from '../helpers/http.js'
import { fetchToken } from '../helpers/tokens.js'
import { parseSecretHash, verifySecret } from '../../src/secrets/client-secret.js'
import { CLI, nodeCommand } from '../helpers/paths.js'

/** The built CLI (the test script compiles first), as a user runs it. */

async function gatehouse (args: string[], stdin = ''): Promise<{ code: number | null, stdout: string, stderr: string }> {
  const child = spawn(...nodeCommand([CLI, ...args]), { stdio: ['pipe', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
  child.stdin.end(stdin)
  const code = await new Promise<number | null>(resolve => child.once('close', resolve))
  return { code, stdout, stderr }
}

t.test('the client CLI prints credentials and config that a gateway accepts', async t => {
  const client = await gatehouse(['clients', 'new', 'partner', '--scopes', 'orders:read,orders:write'])
  t.equal(client.code, 0, client.stderr)
  const key = /^API key:\s+(gh_\S+)$/m.exec(client.stdout)?.[1]
  const secret = /^client secret:\s+(ghs_\S+)$/m.exec(client.stdout)?.[1]
  t.ok(key !== undefined && secret !== undefined, 'a key and a secret are printed')
  const stanza = client.stdout.slice(client.stdout.indexOf('  - id: partner'))
  t.match(stanza, /secretHash: "scrypt\$/)
  t.match(stanza, /apiKeys: \[\{ hash: "sha256:[0-9a-f]{64}" \}\]/)
  t.notMatch(stanza, secret as string, 'the stanza holds hashes, not the secret')
  t.notMatch(stanza, key as string, 'nor the key')

  const signing = await gatehouse(['signing-key', 'new'])
  t.equal(signing.code, 0, signing.stderr)
  const jwks = JSON.parse(signing.stdout) as { keys: Array<Record<string, string>> }
  t.match(jwks.keys[0], { kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', kid: String, d: String, x: String })

  const hashed = await gatehouse(['hash-secret'], 'correct horse battery staple\n')
  t.equal(hashed.code, 0, hashed.stderr)
  t.equal(hashed.stdout.split('\n').length, 2, 'one line')
  const parsed = parseSecretHash(hashed.stdout.trim())
  t.ok(parsed !== undefined, 'a hash the gateway can read')
  if (parsed !== undefined) {
    t.ok(await verifySecret('correct horse battery staple', parsed), 'the piped secret (without its line break) matches')
    t.notOk(await verifySecret('correct horse battery staple\n', parsed), 'the line break is not part of it')
  }
  t.not((await gatehouse(['hash-secret'], '')).code, 0, 'an empty secret is refused')
  t.not((await gatehouse(['clients', 'new', '-bad id'])).code, 0, 'a bad client id is refused')

  const upstream = await startEcho(t)
  const gw = await startTestGateway(t, `${TEST_SERVER}tokens:
  issuer: https://gatehouse.test
  signingKeys: keys.json
clients:
${stanza}authenticators:
  appKey: { type: apiKey }
  appToken: { type: clientToken }
upstreams:
  orders: { url: "${upstream}" }
routes:
  - match: /api/orders/*
    upstream: orders
    policy: client
    client: [appKey, appToken]
`, { files: { 'keys.json': signing.stdout } })
  const token = await fetchToken(gw.url, 'partner', secret as string)
  t.equal(decodeJwt(token).scope, 'orders:read orders:write', 'the printed secret gets a token with the client\'s scopes')
  const byToken = await call(`${gw.url}/api/orders/1`, { headers: { 'x-client-token': token } })
  t.equal(byToken.json<Echo>().headers['remote-client'], 'partner')
  const byKey = await call(`${gw.url}/api/orders/1`, { headers: { 'x-api-key': key as string } })
  t.equal(byKey.json<Echo>().headers['remote-client'], 'partner', 'the printed API key works too')
})
