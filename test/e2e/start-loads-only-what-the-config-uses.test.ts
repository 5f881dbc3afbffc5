import t from 'tap'
import { spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { request } from 'undici'
import { tempDir } from '../helpers/gateway.js'
import { freePort } from '../helpers/ports.js'
import { startRedis } from '../helpers/redis.js'
import { makePki } from '../helpers/certs.js'
import { startOtlpReceiver } from '../helpers/otlp-receiver.js'
import { AS_CLIENTS, startAuthServer } from '../helpers/oauth-server.js'
import { startEcho } from '../helpers/upstream.js'
import { CLI, ROOT, nodeCommand } from '../helpers/paths.js'
import { until } from '../helpers/until.js'
import { OPENSSL, requires } from '../helpers/requires.js'
import { evaluatedBundleModules, loadedBuiltins, loadedOwnModules, loadedPackages, RECORD_LOADED_MODULES } from '../helpers/loaded-modules.js'

interface Teardown { teardown (fn: () => unknown): void }

/**
 * The compiled CLI, whose modules the recorder sees one by one; the bundle users run is checked
 * too, by the modules it evaluates (one script holds them all).
 */
const COMPILED_CLI = join(ROOT, 'dist', 'cli', 'main.js')

/** The packages of the features a config may leave out: `start` loads none of them unless it uses it. */
const OPTIONAL_PACKAGES = [
  'ioredis', 'ws', 'oauth4webapi', 'jose', '@opentelemetry/api', '@opentelemetry/sdk-trace-base', '@opentelemetry/exporter-trace-otlp-http'
]
const OPTIONAL_MODULES = [
  'src/auth/oidc/authenticator.js', 'src/auth/introspection.js', 'src/auth/user-token.js', 'src/auth/mtls.js', 'src/telemetry/otlp.js', 'http/websocket.js'
]

interface Recorded { packages: Set<string>, own: Set<string>, admin: number, record: string, coverage: string }

/**
 * `gatehouse start -c <yaml>` in a child process that records every module it loads; once
 * the admin listener answers /healthz (the gateway is built and listening), what it loaded.
 */
async function startRecorded (t: Teardown, yaml: (admin: number) => string, cli = COMPILED_CLI): Promise<Recorded> {
  const dir = tempDir(t)
  const admin = await freePort()
  const config = join(dir, 'gateway.config.yaml')
  const record = join(dir, 'loaded.txt')
  const coverage = join(dir, 'coverage')
  writeFileSync(config, yaml(admin))
  writeFileSync(record, '')
  const [command, args] = nodeCommand(['--import', RECORD_LOADED_MODULES, cli, 'start', '-c', config])
  // Its own compile cache: the bundle is compiled here under coverage, not read from code compiled without it.
  const env = { ...process.env, GATEHOUSE_LOADED_MODULES: record, NODE_V8_COVERAGE: coverage, NODE_COMPILE_CACHE: join(dir, 'compile-cache') }
  const child = spawn(command, args, { env, stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
  t.teardown(async () => {
    if (child.exitCode !== null) return
    const exited = new Promise(resolve => child.once('exit', resolve))
    child.kill('SIGKILL')
    await exited
  })
  await until('the gateway answers on its admin listener', async () => {
    if (child.exitCode !== null) throw new Error(`gatehouse start exited ${String(child.exitCode)}: ${stderr}`)
    try {
      const res = await request(`http://127.0.0.1:${admin}/healthz`)
      await res.body.dump()
      return res.statusCode === 200
    } catch {
      return false
    }
  }, 60_000)
  return { packages: loadedPackages(record), own: loadedOwnModules(record), admin, record, coverage }
}

t.test('a one-route public config: start loads no authenticator, Redis, tracing or WebSocket modules', async t => {
  const upstream = await startEcho(t)
  const port = await freePort()
  const { packages, own, admin, record } = await startRecorded(t, admin => `server: { listen: 127.0.0.1:${port}, admin: 127.0.0.1:${admin} }
upstreams:
  web: { url: "${upstream}" }
routes:
  - { match: /*, upstream: web, policy: public }
`)
  t.ok(packages.has('fastify') && packages.has('undici') && packages.has('yaml'), 'the recorder sees the packages a gateway always loads')
  for (const name of OPTIONAL_PACKAGES) t.notOk(packages.has(name), `${name} is not loaded`)
  for (const path of OPTIONAL_MODULES) t.notOk(own.has(path), `${path} is not loaded`)
  // The request path counts in plain fields: the registry, and prom-client, wait for the first scrape.
  t.notOk(packages.has('prom-client'), 'prom-client is not loaded before the first scrape')
  const scraped = await request(`http://127.0.0.1:${admin}/metrics`)
  t.equal(scraped.statusCode, 200)
  t.match(await scraped.body.text(), /^gatehouse_config_reloads_total\{result="ok"\} 0$/m, 'the first scrape has the series counted before it')
  t.ok(loadedPackages(record).has('prom-client'), 'the first scrape loads prom-client')
})

t.test('the bundle users run, a one-route public config: none of the optional parts is evaluated', async t => {
  const upstream = await startEcho(t)
  const port = await freePort()
  const { record, coverage } = await startRecorded(t, admin => `server: { listen: 127.0.0.1:${port}, admin: 127.0.0.1:${admin} }
upstreams:
  web: { url: "${upstream}" }
routes:
  - { match: /*, upstream: web, policy: public }
`, CLI)
  const { packages, own } = evaluatedBundleModules(coverage)
  t.ok(packages.has('fastify') && packages.has('yaml') && own.has('runtime/server.js'), 'the modules a gateway always runs are evaluated')
  for (const name of [...OPTIONAL_PACKAGES, 'prom-client']) t.notOk(packages.has(name), `${name} is not evaluated`)
  for (const path of OPTIONAL_MODULES) t.notOk(own.has(path), `${path} is not evaluated`)
  // Fastify and undici require these when they load; the bundle defers that to a TLS or h2 use (scripts/bundle.mjs).
  const builtins = loadedBuiltins(record)
  t.ok(builtins.has('http') && builtins.has('net'), 'the list names the modules a gateway always loads')
  for (const name of ['http2', 'https', 'tls']) t.notOk(builtins.has(name), `node:${name} is not loaded`)
})

t.test('a JWT authenticator with its key in the config: start loads jose, not the modules that fetch keys', async t => {
  const upstream = await startEcho(t)
  const port = await freePort()
  const { packages, own } = await startRecorded(t, admin => `server: { listen: 127.0.0.1:${port}, admin: 127.0.0.1:${admin} }
authenticators:
  idp: { type: jwt, issuer: "https://idp.test/", secret: "a-shared-secret-of-at-least-32-bytes!", algorithms: [HS256], audience: api }
upstreams:
  web: { url: "${upstream}" }
routes:
  - { match: /*, upstream: web, policy: user, user: [idp] }
`)
  t.ok(packages.has('jose') && own.has('src/auth/jwt.js'), 'the JWT authenticator is loaded')
  t.notOk(packages.has('oauth4webapi'), 'oauth4webapi is not loaded')
  for (const path of ['src/auth/jwks-remote.js', 'src/auth/discovery.js', 'src/auth/outbound.js']) t.notOk(own.has(path), `${path} is not loaded`)
})

t.test('a config that uses every feature: start loads each of them', { skip: requires(OPENSSL) }, async t => {
  const [upstream, redis, receiver, as] = await Promise.all([startEcho(t), startRedis(t), startOtlpReceiver(t), startAuthServer(t)])
  const pki = makePki(t)
  const port = await freePort()
  const { packages, own } = await startRecorded(t, admin => `server:
  listen: 127.0.0.1:${port}
  admin: 127.0.0.1:${admin}
  tls: { cert: ${pki.serverCert}, key: ${pki.serverKey}, clientCa: ${pki.ca} }
cache: { redis: "${redis.url}", integrityKey: "0123456789abcdef0123456789abcdef" }
telemetry:
  otlp: { endpoint: "${receiver.url}", serviceName: gatehouse-test }
clients:
  - id: android
    certificate: { subject: "CN=android, O=Acme" }
authenticators:
  appCert: { type: mtls }
  oauth: { type: introspection, endpoint: "${as.introspectionEndpoint}", clientId: ${AS_CLIENTS.basic.id}, clientSecret: ${AS_CLIENTS.basic.secret} }
  browser: { type: oidc, issuer: "${as.url}", clientId: web, clientSecret: s }
  personal: { type: userToken }
upstreams:
  web: { url: "${upstream}" }
routes:
  - { match: /app/*, upstream: web, policy: client, client: [appCert] }
  - { match: /api/*, upstream: web, policy: user, user: [oauth] }
  - { match: /me/*, upstream: web, policy: user, user: [browser] }
  - { match: /tokens/*, upstream: web, policy: user, user: [personal] }
  - { match: /live/*, upstream: web, policy: public, websocket: true }
  - { match: /limited/*, upstream: web, policy: public, rateLimit: { max: 10, window: 1m, by: ip } }
`)
  for (const name of OPTIONAL_PACKAGES) t.ok(packages.has(name), `${name} is loaded`)
  for (const path of OPTIONAL_MODULES) t.ok(own.has(path), `${path} is loaded`)
})
