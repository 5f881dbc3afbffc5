import t from 'tap'
import { spawn } from 'node:child_process'
import { tempDir } from '../helpers/gateway.js'
import { AUDIENCE, ISSUER, makeKey, sign } from '../helpers/jwt.js'
import { CLI, nodeCommand } from '../helpers/paths.js'

async function run (cwd: string, args: string[]): Promise<{ status: number | null, stdout: string, stderr: string }> {
  const child = spawn(...nodeCommand([CLI, 'explain', ...args]), { cwd, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
  const status = await new Promise<number | null>(resolve => child.once('close', resolve))
  return { status, stdout, stderr }
}

t.test('gatehouse explain: the text and --json answers, exit 0 allowed, 2 refused, 1 usage', async t => {
  const key = await makeKey('ES256', 'k1')
  const dir = tempDir(t, {
    'gw.yaml': `upstreams:
  orders: { url: "http://127.0.0.1:9" }
authenticators:
  idp:
    type: jwt
    issuer: "${ISSUER}"
    audience: ${AUDIENCE}
    publicKey: |
${key.pem.trim().split('\n').map(l => `      ${l}`).join('\n')}
routes:
  - match: /api/articles/*
    upstream: orders
    policy: { GET: public, HEAD: public, "*": user }
    user: [idp]
  - match: /api/orders/*
    upstream: orders
    policy: user
    user: [idp]
    scopes: [orders:read]
    rateLimit: { max: 10, window: 1m }
`
  })
  const reader = await sign(key, { scope: 'orders:read' })

  const anonymous = await run(dir, ['-c', 'gw.yaml', 'GET', '/api/articles/1'])
  t.equal(anonymous.status, 0, 'a public method: allowed')
  t.match(anonymous.stdout, /^route: {3}routes\[0\] \/api\/articles\/\* \[GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS\] -> orders/m)
  t.match(anonymous.stdout, /^policy: {2}public$/m)
  t.match(anonymous.stdout, /^ {4}1\. idp \(jwt\) reads header authorization; issuer="https:\/\/idp\.test\/" audience="orders-api"/m)
  t.match(anonymous.stdout, /^decision: ALLOW at identity: policy public for GET: anonymous$/m)

  const write = await run(dir, ['-c', 'gw.yaml', 'POST', '/api/articles/1'])
  t.equal(write.status, 2, 'the protected method without a token: refused')
  t.match(write.stdout, /^decision: DENY at authenticate: 401 missing_credentials: a user credential is required$/m)
  t.match(write.stdout, /^ {2}www-authenticate: Bearer realm="gatehouse"$/m)
  t.match(write.stdout, /"code":"missing_credentials"/)

  const allowed = await run(dir, ['-c', 'gw.yaml', 'GET', '/api/orders/7', '-H', `Authorization: Bearer ${reader}`, '-H', 'Remote-User: mallory'])
  t.equal(allowed.status, 0, allowed.stderr)
  t.match(allowed.stdout, /^ {2}set remote-user: alice$/m)
  t.match(allowed.stdout, /^rate limit: 10 per 1m by user, key "\/api\/orders\/\*\|user:alice"/m)
  t.match(allowed.stdout, /^ {2}dropped authorization: a credential the gateway reads/m)
  t.match(allowed.stdout, /^ {2}dropped remote-user: an identity header/m)
  t.notOk(allowed.stdout.includes(reader), 'the token is never printed')

  const noScope = await run(dir, ['-c', 'gw.yaml', '--json', 'GET', '/api/orders/7', '-H', `Authorization: Bearer ${await sign(key)}`])
  t.equal(noScope.status, 2)
  const e = JSON.parse(noScope.stdout) as {
    decision: { allowed: boolean, stage: string, problem: { status: number, code: string, detail: string } }
    route: { index: number }
  }
  t.equal(e.route.index, 1)
  t.same(e.decision.problem, {
    type: 'urn:gatehouse:problem:insufficient_scope',
    title: 'Insufficient scope',
    status: 403,
    code: 'insufficient_scope',
    detail: 'the user lacks scope orders:read',
    requestId: 'explain'
  })
  t.equal(e.decision.stage, 'authorize')

  const missing = await run(dir, ['-c', 'gw.yaml', 'GET', '/orders/7'])
  t.equal(missing.status, 2)
  t.match(missing.stdout, /^ {2}near: {2}routes\[1\] \/api\/orders\/\* .*: would match under \/api$/m)

  const usage = await run(dir, ['-c', 'gw.yaml', 'GET'])
  t.equal(usage.status, 1)
  t.match(usage.stderr, /^usage: gatehouse explain/)
})
