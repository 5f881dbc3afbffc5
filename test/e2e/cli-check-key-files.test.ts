import t from 'tap'
import { spawn } from 'node:child_process'
import { generateKeyPairSync } from 'node:crypto'
import { tempDir } from '../helpers/gateway.js'
import { CLI, nodeCommand } from '../helpers/paths.js'

const { publicKey, privateKey } = generateKeyPairSync('ed25519')
const PUBLIC_PEM = publicKey.export({ type: 'spki', format: 'pem' }).toString()
const PRIVATE_PEM = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()

const config = (keyFile: string): string => `server:
  listen: 127.0.0.1:0
  admin: false
upstreams:
  web: { url: "http://127.0.0.1:9" }
authenticators:
  idp:
    type: jwt
    issuer: https://idp.example
    audience: orders
    publicKey: ${keyFile}
routes:
  - match: /api/*
    upstream: web
    policy: user
    user: [idp]
`

async function gatehouse (dir: string, ...args: string[]): Promise<{ status: number | null, stdout: string, stderr: string }> {
  const child = spawn(...nodeCommand([CLI, ...args]), { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
  // `start` with a good key would serve: these configs must all be refused before that.
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
  const status = await new Promise<number | null>(resolve => child.once('exit', code => resolve(code)))
  clearTimeout(timer)
  return { status, stdout, stderr }
}

t.test('gatehouse check loads every key file: a missing publicKey file or a private key is an error at file:line:col naming the key', async t => {
  const dir = tempDir(t, {
    'missing.yaml': config('keys/idp.pem'),
    'private.yaml': config('private.pem'),
    'private.pem': PRIVATE_PEM,
    'good.yaml': config('public.pem'),
    'public.pem': PUBLIC_PEM
  })
  const missing = await gatehouse(dir, 'check', '-c', 'missing.yaml')
  t.equal(missing.status, 1, 'a missing key file fails check')
  t.match(missing.stderr, /^missing\.yaml:11:16 authenticators\.idp\.publicKey: \S+\/keys\/idp\.pem: cannot read it \(ENOENT\)$/m)

  const priv = await gatehouse(dir, 'check', '-c', 'private.yaml')
  t.equal(priv.status, 1, 'a private key as publicKey fails check')
  t.match(priv.stderr, /^private\.yaml:11:16 authenticators\.idp\.publicKey: \S+\/private\.pem: this is a private key/m)
  t.notMatch(priv.stderr, /PRIVATE KEY|MC4CAQAw/, 'without printing the key')

  const started = await gatehouse(dir, 'start', '-c', 'private.yaml')
  t.equal(started.status, 1, 'start refuses it the same way')
  t.match(started.stderr, /^private\.yaml:11:16 authenticators\.idp\.publicKey: /m, 'with file:line:col')

  const good = await gatehouse(dir, 'check', '-c', 'good.yaml')
  t.equal(good.status, 0, 'a public key file passes')
  t.match(good.stdout, /good\.yaml: ok/)
})
