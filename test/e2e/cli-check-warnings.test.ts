import t from 'tap'
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { tempDir } from '../helpers/gateway.js'
import { CLI, nodeCommand } from '../helpers/paths.js'

const ROUTES = `upstreams:
  web: { url: "http://127.0.0.1:8000" }
authenticators:
  appKey: { type: apiKey }
routes:
  - match: /api/public/*
    upstream: web
    policy: public
  - match: /api/*
    upstream: web
    policy: client
    client: [appKey]
`

t.test('gatehouse check: warnings exit 0, --strict exits 1, hints never fail; paths relative to the working directory', async t => {
  const dir = tempDir(t, {
    'warned.yaml': `server:\n  listen: 0.0.0.0:8080\n  trustProxy: true\n${ROUTES}`,
    'hinted.yaml': ROUTES
  })
  const run = (...args: string[]): ReturnType<typeof spawnSync> => spawnSync(...nodeCommand([CLI, 'check', ...args]), { encoding: 'utf8', cwd: dir })

  const warned = run('-c', 'warned.yaml')
  t.equal(warned.status, 0, 'a warning alone does not fail check')
  t.equal(
    warned.stdout,
    'warned.yaml: ok (2 routes, 0 clients, 1 authenticators, 1 upstreams), 1 warning, 1 hint\n',
    'the path as given, relative to the working directory'
  )
  const lines = String(warned.stderr).trim().split('\n')
  t.equal(lines.length, 2)
  t.match(lines[0], /^warned\.yaml:3:15 warning: server\.trustProxy: trustProxy: true believes X-Forwarded-For/)
  t.match(lines[1], /^warned\.yaml:11:13 hint: routes\[0\]\.policy: a public route to upstream web/)

  t.equal(run('-c', 'warned.yaml', '--strict').status, 1, '--strict fails on a warning')
  const hinted = run('-c', 'hinted.yaml', '--strict')
  t.equal(hinted.status, 0, '--strict does not fail on a hint')
  t.match(hinted.stderr, /^hinted\.yaml:8:13 hint: /)

  const absolute = run('-c', join(dir, 'warned.yaml'))
  t.match(absolute.stdout, /^warned\.yaml: ok/, 'an absolute path inside the working directory prints relative too')
  const bad = spawnSync(...nodeCommand([CLI, 'check', '-c', 'nope.yaml']), { encoding: 'utf8', cwd: dir })
  t.equal(bad.status, 1)
  t.equal(bad.stderr, 'nope.yaml:1:1 cannot read the config: ENOENT\n', 'errors name the file relative to the working directory')
})
