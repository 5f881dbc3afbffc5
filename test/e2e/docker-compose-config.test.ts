import t from 'tap'
import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { parse } from 'yaml'
import { DOCKER_COMPOSE, requires } from '../helpers/requires.js'
import { CLI, ROOT } from '../helpers/paths.js'
import { keyHash, tempDir } from '../helpers/gateway.js'

const run = promisify(execFile)
const SECRET = 'compose-test-secret-0123456789abcdef0123456789'
const ADMIN_TOKEN = 'compose-test-admin-token-0123456789'
const WEB_KEY_HASH = keyHash('gh_compose-test-web-key-000000000000000000000')

async function exitOf (file: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number, stdout: string, stderr: string }> {
  try {
    const { stdout, stderr } = await run(file, args, { cwd: ROOT, env })
    return { code: 0, stdout, stderr }
  } catch (err) {
    const e = err as { code: number, stdout: string, stderr: string }
    return { code: e.code, stdout: e.stdout, stderr: e.stderr }
  }
}

/** The environment of a shell that has not set any of the compose file's variables. */
function cleanEnv (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = { ...process.env }
  for (const name of ['REDIS_URL', 'WEB_KEY_HASH', 'WEB_KEY_HASH_FILE', 'DRF_JWT_ISSUER', 'DRF_JWT_SECRET', 'GATEHOUSE_ADMIN_TOKEN']) delete env[name]
  return { ...env, ...extra }
}

t.test('docker-compose accepts docker-compose.yml: gateway, Redis and the DRF upstream wired together', { skip: requires(DOCKER_COMPOSE) }, async t => {
  const checked = await exitOf(
    'docker-compose',
    ['-f', 'docker-compose.yml', 'config', '-q'],
    cleanEnv({ DRF_JWT_SECRET: SECRET, GATEHOUSE_ADMIN_TOKEN: ADMIN_TOKEN })
  )
  t.equal(checked.code, 0, checked.stderr)

  const { stdout } = await run('docker-compose', ['-f', 'docker-compose.yml', 'config'], {
    cwd: ROOT,
    env: cleanEnv({ DRF_JWT_SECRET: SECRET, GATEHOUSE_ADMIN_TOKEN: ADMIN_TOKEN })
  })
  const services = (parse(stdout) as { services: Record<string, Record<string, unknown>> }).services
  t.same(Object.keys(services).sort(), ['drf', 'gateway', 'redis'])
  const gateway = services.gateway as { build: { context: string }, environment: Record<string, string>, volumes: string[], ports: unknown[] }
  t.equal(gateway.build.context, ROOT, 'the gateway is built from the Dockerfile at the root')
  t.equal(gateway.environment.REDIS_URL, 'redis://redis:6379')
  t.equal(gateway.environment.DRF_JWT_SECRET, SECRET, 'the JWT secret comes from the environment')
  t.equal(gateway.environment.GATEHOUSE_ADMIN_TOKEN, ADMIN_TOKEN, 'so does the admin token: the admin listener is open to the container network')
  t.ok(
    gateway.volumes.includes(`${join(ROOT, 'examples', 'docker', 'gateway.config.yaml')}:/etc/gatehouse/gateway.config.yaml:ro`),
    'the compose config is mounted where the image looks'
  )
  t.same(gateway.ports.filter(p => typeof p === 'string'), ['127.0.0.1:9090:9090/tcp'], 'the admin listener is published on the host loopback only')
  t.equal((services.drf as { build: { context: string } }).build.context, join(ROOT, 'examples', 'drf-upstream'))
  t.equal(services.drf?.ports, undefined, 'the upstream that trusts Remote-User publishes no port')
  t.equal(services.redis?.ports, undefined, 'Redis publishes no port')
  t.equal(services.redis?.image, 'redis:7-alpine')
  t.same((gateway as { depends_on?: unknown }).depends_on, { redis: { condition: 'service_healthy' }, drf: { condition: 'service_healthy' } },
    'the gateway starts once Redis and the app are healthy, not merely started')
  t.ok((services.redis as { healthcheck?: { test?: string[] } }).healthcheck?.test?.includes('ping'), 'Redis has a health check (PING)')
  t.ok(
    (services.drf as { healthcheck?: { test?: string[] } }).healthcheck?.test?.join(' ').includes('http://127.0.0.1:8000/'),
    'so has the app (an HTTP request)'
  )
  t.equal(gateway.environment.WEB_KEY_HASH, '', 'no API key hash unless one is given')
  const redis = services.redis as { command: string[], volumes: Array<string | { source?: string, target?: string }> }
  t.match(redis.command.join(' '), /--appendonly yes/, 'Redis persists (revocations survive its restart)')
  t.ok(
    redis.volumes.some(v => (typeof v === 'string' ? v.startsWith('redis-data:/data') : v.source === 'redis-data' && v.target === '/data')),
    'on a named volume'
  )

  const unset = await exitOf('docker-compose', ['-f', 'docker-compose.yml', 'config', '-q'], cleanEnv({ GATEHOUSE_ADMIN_TOKEN: ADMIN_TOKEN }))
  t.not(unset.code, 0, 'no JWT secret, no stack')
  t.match(unset.stderr, /DRF_JWT_SECRET/)
  const noAdminToken = await exitOf('docker-compose', ['-f', 'docker-compose.yml', 'config', '-q'], cleanEnv({ DRF_JWT_SECRET: SECRET }))
  t.not(noAdminToken.code, 0, 'no admin token, no stack')
  t.match(noAdminToken.stderr, /GATEHOUSE_ADMIN_TOKEN/)
})

t.test('gatehouse check accepts the compose gateway config', async t => {
  const ok = await exitOf(
    process.execPath,
    [CLI, 'check', '-c', 'examples/docker/gateway.config.yaml'],
    cleanEnv({ DRF_JWT_SECRET: SECRET, GATEHOUSE_ADMIN_TOKEN: ADMIN_TOKEN, REDIS_URL: 'redis://redis:6379', WEB_KEY_HASH })
  )
  t.equal(ok.code, 0, `exit 0 (${ok.stderr.trim()})`)
  t.match(ok.stdout, /ok \(3 routes, 1 clients, 2 authenticators, 1 upstreams\)/)
  const noSecret = await exitOf(
    process.execPath,
    [CLI, 'check', '-c', 'examples/docker/gateway.config.yaml'],
    cleanEnv({ GATEHOUSE_ADMIN_TOKEN: ADMIN_TOKEN, WEB_KEY_HASH })
  )
  t.equal(noSecret.code, 1)
  t.match(
    noSecret.stderr,
    /gateway\.config\.yaml:\d+:\d+ authenticators\.idp\.secret: environment variable DRF_JWT_SECRET \(or DRF_JWT_SECRET_FILE\) is not set/
  )
})

// 8080 is published on every interface: a key everyone can read in the docs must not open it.
t.test('the compose gateway config has no demo API key: without WEB_KEY_HASH (or WEB_KEY_HASH_FILE) it does not start', async t => {
  const file = join(ROOT, 'examples', 'docker', 'gateway.config.yaml')
  t.notMatch(readFileSync(file, 'utf8'), /sha256:[0-9a-f]{64}/, 'no key hash is written in the file')
  const env = { DRF_JWT_SECRET: SECRET, GATEHOUSE_ADMIN_TOKEN: ADMIN_TOKEN }
  const noKey = await exitOf(process.execPath, [CLI, 'check', '-c', 'examples/docker/gateway.config.yaml'], cleanEnv(env))
  t.equal(noKey.code, 1)
  t.match(noKey.stderr, /gateway\.config\.yaml:\d+:\d+ clients\[0\]\.apiKeys\[0\]\.hash: environment variable WEB_KEY_HASH \(or WEB_KEY_HASH_FILE\) is not set/)
  const secret = join(tempDir(t, { 'web-key-hash': `${WEB_KEY_HASH}\n` }), 'web-key-hash')
  const fromFile = await exitOf(process.execPath, [CLI, 'check', '-c', 'examples/docker/gateway.config.yaml'], cleanEnv({ ...env, WEB_KEY_HASH_FILE: secret }))
  t.equal(fromFile.code, 0, 'a Docker secret file works too')
})
