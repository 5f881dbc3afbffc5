import t from 'tap'
import { join } from 'node:path'
import { ConfigError } from '../../src/config/load.js'
import { loadConfig } from '../../src/load-config.js'
import { tempDir } from '../helpers/gateway.js'

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

t.test('introspection config: one of endpoint or issuer, and an issuer must be an http(s) URL', async t => {
  const issuesOf = async (keys: string): Promise<Array<{ path: string, message: string }>> => {
    const dir = tempDir(t, {
      'gateway.config.yaml': `authenticators:
  oauth: { type: introspection, ${keys}clientId: gateway, clientSecret: s }
upstreams:
  orders: { url: "http://127.0.0.1:1" }
routes:
  - { match: /api/*, upstream: orders, policy: user, user: [oauth] }
`
    })
    const err = await loadConfig(join(dir, 'gateway.config.yaml')).catch((e: unknown) => e)
    return err instanceof ConfigError ? err.issues : []
  }
  t.match(await issuesOf(''), [{ path: 'authenticators.oauth', message: 'an introspection authenticator needs one of endpoint or issuer (has neither)' }])
  t.match(await issuesOf('endpoint: "https://as.test/introspect", issuer: "https://as.test", '), [{ path: 'authenticators.oauth', message: /has both/ }])
  t.match(await issuesOf('issuer: as.test, '), [{ path: 'authenticators.oauth.issuer', message: 'must be an http:// or https:// URL' }])
  t.same(await issuesOf('issuer: "https://as.test", '), [], 'an issuer alone is enough')
})
