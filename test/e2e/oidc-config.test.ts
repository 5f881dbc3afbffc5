import t from 'tap'
import { ConfigError, parseConfig } from '../../src/config/load.js'

const base = (auth: string, routes = ''): string => `authenticators:
  browser: { type: oidc, issuer: "https://login.example.com/", clientId: web${auth} }
upstreams:
  app: { url: "http://app:8000" }
routes:
  - { match: /app/*, upstream: app, policy: user, user: [browser] }
${routes}`

const KEY = 'session: { key: "0123456789abcdef0123456789abcdef" }'

function issues (yaml: string): string[] {
  try {
    parseConfig(yaml, '/etc/gatehouse/gateway.config.yaml', {})
    return []
  } catch (err) {
    if (err instanceof ConfigError) return err.issues.map(i => `${i.path}: ${i.message}`)
    throw err
  }
}

t.test('oidc config: defaults and the checks that name the key', async t => {
  const cfg = parseConfig(base(`, clientSecret: s, ${KEY}`), '/etc/gatehouse/gateway.config.yaml', {})
  t.equal(cfg.authenticators.get('browser')?.principal, 'user')

  t.same(issues(base(`, ${KEY}`)), ['authenticators.browser: an oidc authenticator needs exactly one of clientSecret or privateKey (has none)'])
  t.same(issues(base(`, clientSecret: s, privateKey: k.pem, ${KEY}`)), [
    'authenticators.browser: an oidc authenticator needs exactly one of clientSecret or privateKey (has clientSecret, privateKey)'
  ])
  t.same(issues(base(', clientSecret: s, session: { key: short }')), [
    'authenticators.browser.session.key: at least 32 characters: `openssl rand -hex 32` makes one'
  ])
  t.same(issues(base(', clientSecret: s')), [], 'without Redis session.key may be left out (a key made at start)')
  t.same(issues(`cache: { redis: "redis://r:6379" }\n${base(', clientSecret: s')}`), [
    'authenticators.browser: sessions in Redis are encrypted with a key every instance shares: set session.key (or cache.integrityKey)'
  ])
  t.same(
    issues(`cache: { redis: "redis://r:6379", integrityKey: "0123456789abcdef0123456789abcdef" }\n${base(', clientSecret: s')}`),
    [],
    'cache.integrityKey stands in for session.key'
  )
  t.same(issues(base(`, clientSecret: s, scopes: [profile], ${KEY}`)), ['authenticators.browser.scopes: must include openid: the login asks for an ID token'])
  t.same(issues(base(`, clientSecret: s, redirectPath: /oauth/token, ${KEY}`)), [
    "authenticators.browser.redirectPath: /oauth/token is served by the gateway's token endpoints"
  ])
  t.same(issues(base(`, clientSecret: s, redirectPath: "https://evil.example/cb", ${KEY}`)).length, 1, 'redirectPath is a path, not a URL')
  t.same(issues(base(`, clientSecret: s, ${KEY}`, '  - { match: /oauth2/callback, upstream: app, policy: public }\n')), [
    "routes[1].match: /oauth2/callback is served by the gateway's browser login (an oidc authenticator); it cannot be proxied"
  ])
  t.same(issues(base(`, clientSecret: s, ${KEY}`, '  - { match: /x/*, upstream: app, policy: client, client: [browser] }\n')), [
    'routes[1].client[0]: authenticator "browser" (oidc) proves a user, not a client'
  ])
})
