import t from 'tap'
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { tempDir } from '../helpers/gateway.js'
import { CLI, nodeCommand } from '../helpers/paths.js'

t.test('gatehouse check: ok, or exit 1 with file:line:col lines', async t => {
  const dir = tempDir(t, {
    'good.yaml': 'upstreams:\n  web: { url: "http://127.0.0.1:8000" }\nroutes:\n  - match: /a/*\n    upstream: web\n    policy: public\n',
    'bad.yaml': 'upstreams:\n  web: { url: "http://127.0.0.1:8000" }\nroutes:\n  - match: /a/*\n    upstream: api\n    policy: public\n    colour: blue\n'
  })
  const good = spawnSync(...nodeCommand([CLI, 'check', '-c', join(dir, 'good.yaml')]), { encoding: 'utf8' })
  t.equal(good.status, 0, 'a valid config exits 0')
  t.match(good.stdout, /good\.yaml: ok \(1 routes/)

  const bad = spawnSync(...nodeCommand([CLI, 'check', '-c', join(dir, 'bad.yaml')]), { encoding: 'utf8' })
  t.equal(bad.status, 1, 'an invalid config exits 1')
  t.equal(bad.stdout, '')
  t.same(bad.stderr.trim().split('\n'), [`${join(dir, 'bad.yaml')}:7:5 routes[0].colour: unknown key`])

  const start = spawnSync(...nodeCommand([CLI, 'start', '-c', join(dir, 'bad.yaml')]), { encoding: 'utf8', timeout: 60_000 })
  t.equal(start.status, 1, 'the gateway refuses to start on the same errors')
  t.match(start.stderr, /bad\.yaml:7:5 routes\[0\]\.colour: unknown key/)

  const missing = spawnSync(...nodeCommand([CLI, 'check', '-c', join(dir, 'nope.yaml')]), { encoding: 'utf8' })
  t.equal(missing.status, 1)
  t.match(missing.stderr, /nope\.yaml:1:1 cannot read the config: ENOENT/)
})
