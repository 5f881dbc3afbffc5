import t from 'tap'
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { tempDir } from '../helpers/gateway.js'
import { CLI, nodeCommand } from '../helpers/paths.js'
import { evaluatedBundleModules } from '../helpers/loaded-modules.js'

/** What a gateway runs, and no config check needs. */
const SERVER_PACKAGES = ['fastify', 'undici', 'ioredis', 'prom-client', 'ws', 'pino', 'jose', 'oauth4webapi', '@opentelemetry/api']

t.test('gatehouse check, the bundle users run: it evaluates the config modules and none of the server\'s', async t => {
  const dir = tempDir(t, {
    'gateway.config.yaml': `cache: { redis: "redis://127.0.0.1:9", integrityKey: "0123456789abcdef0123456789abcdef" }
authenticators:
  idp: { type: jwt, issuer: "https://idp.test/", secret: "a-shared-secret-of-at-least-32-bytes!", algorithms: [HS256], audience: api }
  browser: { type: oidc, issuer: "https://idp.test/", clientId: web, clientSecret: s }
upstreams:
  web: { url: "http://127.0.0.1:9" }
routes:
  - { match: /me/*, upstream: web, policy: user, user: [idp] }
  - { match: /web/*, upstream: web, policy: user, user: [browser] }
  - { match: /live/*, upstream: web, policy: public, websocket: true }
`
  })
  const coverage = join(dir, 'coverage')
  // Its own compile cache: the bundle is compiled here under coverage, not read from code compiled without it.
  const env = { ...process.env, NODE_V8_COVERAGE: coverage, NODE_COMPILE_CACHE: join(dir, 'compile-cache') }
  const checked = spawnSync(...nodeCommand([CLI, 'check', '-c', join(dir, 'gateway.config.yaml')]), { encoding: 'utf8', env })
  t.equal(checked.status, 0, checked.stderr)
  const { packages, own } = evaluatedBundleModules(coverage)
  t.ok(packages.has('yaml') && own.has('src/config/load.js') && own.has('cli/check.js'), 'the config modules are evaluated')
  for (const name of SERVER_PACKAGES) t.notOk(packages.has(name), `${name} is not evaluated`)
  for (const path of ['runtime/server.js', 'http/app.js']) t.notOk(own.has(path), `${path} is not evaluated`)
})
