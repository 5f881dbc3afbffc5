import t from 'tap'
import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { startTestGateway, TEST_SERVER } from '../helpers/gateway.js'
import { ROOT, nodeCommand } from '../helpers/paths.js'

async function exitCode (argv: string[]): Promise<number> {
  return await new Promise(resolve => execFile(...nodeCommand(argv), err => resolve(err === null ? 0 : Number((err as { code?: number }).code ?? 1))))
}

t.test('Dockerfile: multi-stage, production dependencies only, non-root, and its health check works', async t => {
  const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8')
  const lines = dockerfile.split('\n')
  const from = lines.filter(l => l.startsWith('FROM '))
  t.equal(from.length, 2, 'a build stage and a runtime stage')
  t.match(dockerfile, /RUN npm ci --omit=dev/)
  t.match(dockerfile, /COPY --from=build \/app\/dist \.\/dist/)
  t.equal(lines.filter(l => l.startsWith('USER ')).at(-1), 'USER node', 'the runtime runs as a non-root user')
  t.match(dockerfile, /ENTRYPOINT \["node", "--max-semi-space-size=16", "dist\/bundle\/main\.js"\]/)
  t.match(dockerfile, /CMD \["start", "-c", "\/etc\/gatehouse\/gateway\.config\.yaml"\]/)
  const tsconfig = JSON.parse(readFileSync(join(ROOT, 'tsconfig.json'), 'utf8')) as { include: string[] }
  // The tests are built for `npm test` only: the image leaves test/ out of its context.
  t.match(readFileSync(join(ROOT, '.dockerignore'), 'utf8'), /^test$/m, '.dockerignore leaves test/ out')
  for (const dir of tsconfig.include.filter(d => d !== 'test')) {
    t.match(dockerfile, new RegExp(`^COPY ${dir} \\./${dir}$`, 'm'), `the build stage copies ${dir}/, which tsc compiles`)
  }
  const { scripts } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
  const bundler = /node (scripts\/\S+)/.exec(scripts.bundle ?? '')?.[1]
  t.ok(bundler !== undefined && dockerfile.includes(`COPY ${bundler.split('/')[0] as string} ./`), 'the build stage copies the script npm run bundle runs')

  const healthcheck = /HEALTHCHECK [^\n]*\\\n\s*CMD (\[.*\])/.exec(dockerfile)?.[1]
  t.ok(healthcheck, 'a HEALTHCHECK in exec form')
  const argv = JSON.parse(healthcheck as string) as string[]
  t.equal(argv[0], 'node', 'run with node: the slim image has no curl')
  const probe = async (adminUrl: string): Promise<number> => await exitCode(argv.slice(1).map(a => a.replace('http://127.0.0.1:9090', adminUrl)))
  const gw = await startTestGateway(
    t,
    `${TEST_SERVER}upstreams:\n  web: { url: "http://127.0.0.1:1" }\nroutes:\n  - match: /*\n    upstream: web\n    policy: public\n`
  )
  t.equal(await probe(gw.adminUrl as string), 0, 'healthy while the admin listener answers /healthz')
  await gw.close()
  t.equal(await probe(gw.adminUrl as string), 1, 'unhealthy once it does not')
})
