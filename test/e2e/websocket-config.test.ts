import t from 'tap'
import { ConfigError, formatIssue, parseConfig } from '../../src/config/load.js'

const BASE = `upstreams:
  web: { url: "http://127.0.0.1:8000" }
routes:
`

function load (routes: string): ReturnType<typeof parseConfig> | string[] {
  try {
    return parseConfig(BASE + routes, '/etc/gatehouse/gw.yaml', {})
  } catch (err) {
    if (err instanceof ConfigError) return err.issues.map(formatIssue)
    throw err
  }
}

t.test('websocket: true takes the defaults; the object form sets each one', async t => {
  const config = load(`  - { match: /a/*, upstream: web, policy: public, websocket: true }
  - { match: /b/*, upstream: web, policy: public, websocket: { maxPayload: 64KiB, idleTimeout: 5m, closeOnExpiry: true } }
  - { match: /c/*, upstream: web, policy: public }
  - { match: /d/*, upstream: web, policy: public, websocket: false }
`)
  if (Array.isArray(config)) throw new Error(config.join('\n'))
  const [a, b, c, d] = config.routes
  t.same(a?.websocket, { maxPayload: 1024 * 1024, idleTimeoutMs: 0, closeOnExpiry: false })
  t.same(b?.websocket, { maxPayload: 64 * 1024, idleTimeoutMs: 300_000, closeOnExpiry: true })
  t.equal(c?.websocket, undefined, 'absent: no upgrades')
  t.equal(d?.websocket, undefined, 'false: no upgrades')
})

t.test('a WebSocket route must serve GET; unknown keys are refused', async t => {
  t.same(load(`  - { match: /a/*, methods: [POST], upstream: web, policy: public, websocket: true }
`), ['/etc/gatehouse/gw.yaml:4:79 routes[0].websocket: a WebSocket upgrade is a GET: add GET to the route\'s methods'])
  const unknown = load(`  - { match: /a/*, upstream: web, policy: public, websocket: { maxFrames: 3 } }
`)
  t.match(unknown, [/routes\[0\]\.websocket/])
})
