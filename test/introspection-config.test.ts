import t from 'tap'
import { join } from 'node:path'
import { ConfigError, loadConfig } from '../src/config/load.js'
import { tempDir } from './helpers/gateway.js'

t.test('introspection config: the endpoint must be an http(s) URL, reported with its position', async t => {
  const dir = tempDir(t, {
    'gateway.config.yaml': `server:
  listen: 127.0.0.1:0
authenticators:
  oauth:
    type: introspection
    endpoint: as.example.com/o/introspect/
    clientId: gateway
    clientSecret: s
upstreams:
  orders: { url: "http://127.0.0.1:1" }
routes:
  - match: /api/*
    upstream: orders
    policy: user
    user: [oauth]
`
  })
  const err = await loadConfig(join(dir, 'gateway.config.yaml')).catch((e: unknown) => e)
  t.ok(err instanceof ConfigError, 'refused at load')
  const issues = (err as ConfigError).issues
  t.equal(issues.length, 1)
  t.match(issues[0], { line: 6, path: 'authenticators.oauth.endpoint', message: 'must be an http:// or https:// URL' })
})
