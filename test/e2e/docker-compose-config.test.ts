import t from 'tap'
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { parse } from 'yaml'
import { DOCKER_COMPOSE, requires } from '../helpers/requires.js'
import { ROOT } from '../helpers/paths.js'

const run = promisify(execFile)
const CLI = join(ROOT, 'dist', 'cli', 'main.js')
const SECRET = 'compose-test-secret-0123456789abcdef0123456789'
const ADMIN_TOKEN = 'compose-test-admin-token-0123456789'

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
  const env = { ...process.env, ...extra }
  for (const name of ['REDIS_URL', 'WEB_KEY_HASH', 'DRF_JWT_ISSUER']) delete env[name]
  if (extra.DRF_JWT_SECRET === undefined) delete env.DRF_JWT_SECRET
  if (extra.GATEHOUSE_ADMIN_TOKEN === undefined) delete env.GATEHOUSE_ADMIN_TOKEN
  return env
}

t.test('docker-compose accepts docker-compose.yml: gateway, Redis and the DRF upstream wired together', { skip: requires(DOCKER_COMPOSE) }, async t => {
  const checked = await exitOf('docker-compose', ['-f', 'docker-compose.yml', 'config', '-q'], cleanEnv({ DRF_JWT_SECRET: SECRET, GATEHOUSE_ADMIN_TOKEN: ADMIN_TOKEN }))
  t.equal(checked.code, 0, checked.stderr)

  const { stdout } = await run('docker-compose', ['-f', 'docker-compose.yml', 'config'], { cwd: ROOT, env: cleanEnv({ DRF_JWT_SECRET: SECRET, GATEHOUSE_ADMIN_TOKEN: ADMIN_TOKEN }) })
  const services = (parse(stdout) as { services: Record<string, Record<string, unknown>> }).services
  t.same(Object.keys(services).sort(), ['drf', 'gateway', 'redis'])
  const gateway = services.gateway as { build: { context: string }, environment: Record<string, string>, volumes: string[], ports: unknown[] }
  t.equal(gateway.build.context, ROOT, 'the gateway is built from the Dockerfile at the root')
  t.equal(gateway.environment.REDIS_URL, 'redis://redis:6379')
  t.equal(gateway.environment.DRF_JWT_SECRET, SECRET, 'the JWT secret comes from the environment')
  t.equal(gateway.environment.GATEHOUSE_ADMIN_TOKEN, ADMIN_TOKEN, 'so does the admin token: the admin listener is open to the container network')
  t.ok(gateway.volumes.includes(`${join(ROOT, 'examples', 'docker', 'gateway.config.yaml')}:/etc/gatehouse/gateway.config.yaml:ro`), 'the compose config is mounted where the image looks')
  t.same(gateway.ports.filter(p => typeof p === 'string'), ['127.0.0.1:9090:9090/tcp'], 'the admin listener is published on the host loopback only')
  t.equal((services.drf as { build: { context: string } }).build.context, join(ROOT, 'examples', 'drf-upstream'))
  t.equal(services.drf?.ports, undefined, 'the upstream that trusts Remote-User publishes no port')
  t.equal(services.redis?.ports, undefined, 'Redis publishes no port')
  t.equal(services.redis?.image, 'redis:7-alpine')
  const redis = services.redis as { command: string[], volumes: Array<string | { source?: string, target?: string }> }
  t.match(redis.command.join(' '), /--appendonly yes/, 'Redis persists (revocations survive its restart)')
  t.ok(redis.volumes.some(v => typeof v === 'string' ? v.startsWith('redis-data:/data') : v.source === 'redis-data' && v.target === '/data'), 'on a named volume')

  const unset = await exitOf('docker-compose', ['-f', 'docker-compose.yml', 'config', '-q'], cleanEnv({ GATEHOUSE_ADMIN_TOKEN: ADMIN_TOKEN }))
  t.not(unset.code, 0, 'no JWT secret, no stack')
  t.match(unset.stderr, /DRF_JWT_SECRET/)
  const noAdminToken = await exitOf('docker-compose', ['-f', 'docker-compose.yml', 'config', '-q'], cleanEnv({ DRF_JWT_SECRET: SECRET }))
  t.not(noAdminToken.code, 0, 'no admin token, no stack')
  t.match(noAdminToken.stderr, /GATEHOUSE_ADMIN_TOKEN/)
})

t.test('gatehouse check accepts the compose gateway config', async t => {
  const ok = await exitOf(process.execPath, [CLI, 'check', '-c', 'examples/docker/gateway.config.yaml'], cleanEnv({ DRF_JWT_SECRET: SECRET, GATEHOUSE_ADMIN_TOKEN: ADMIN_TOKEN, REDIS_URL: 'redis://redis:6379' }))
  t.equal(ok.code, 0, ok.stderr)
  t.match(ok.stdout, /ok \(3 routes, 1 clients, 2 authenticators, 1 upstreams\)/)
  const noSecret = await exitOf(process.execPath, [CLI, 'check', '-c', 'examples/docker/gateway.config.yaml'], cleanEnv({ GATEHOUSE_ADMIN_TOKEN: ADMIN_TOKEN }))
  t.equal(noSecret.code, 1)
  t.match(noSecret.stderr, /gateway\.config\.yaml:\d+:\d+ authenticators\.idp\.secret: environment variable DRF_JWT_SECRET is not set/)
})
