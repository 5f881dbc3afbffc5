import t from 'tap'
import { ConfigError, formatIssue, parseConfig } from '../../src/config/load.js'

function issuesOf (yaml: string, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    parseConfig(yaml, '/etc/gatehouse/gw.yaml', env)
  } catch (err) {
    if (err instanceof ConfigError) return err.issues.map(formatIssue)
    throw err
  }
  return []
}

const BASE = `upstreams:
  web: { url: "http://127.0.0.1:8000" }
authenticators:
  appKey: { type: apiKey }
`

t.test('YAML syntax errors name file, line and column', async t => {
  const [first] = issuesOf('routes:\n  - match: /a\n   upstream: [web\n')
  t.match(first, /^\/etc\/gatehouse\/gw\.yaml:3:\d+ YAML: /)
  t.match(issuesOf('a: 1\na: 2\n')[0], /^\/etc\/gatehouse\/gw\.yaml:2:1 YAML: Map keys must be unique/)
})

t.test('unknown keys, wrong types and bad values are located by key path', async t => {
  const issues = issuesOf(`${BASE}server:
  listen: 127.0.0.1:8080
  lisen: 1
routes:
  - match: /a/*
    upstream: web
    policy: everyone
  - match: /b/*
    upstream: web
    policy: public
    rateLimit: { max: "lots", window: 1m }
`)
  t.same(issues, [
    '/etc/gatehouse/gw.yaml:7:3 server.lisen: unknown key',
    '/etc/gatehouse/gw.yaml:11:13 routes[0].policy: must be one of public, client, user, client+user, or a map of method (or "*") to one of them',
    '/etc/gatehouse/gw.yaml:15:23 routes[1].rateLimit.max: expected integer'
  ])
})

t.test('a route without a policy: the policy is required, located at the route', async t => {
  t.same(issuesOf('upstreams:\n  web: { url: "http://127.0.0.1:8000" }\nroutes:\n  - match: /a/*\n    upstream: web\n'), [
    '/etc/gatehouse/gw.yaml:4:5 routes[0].policy: is required: one of public, client, user, client+user, or a map of method (or "*") to one of them'
  ])
})

t.test('bad durations are refused with the accepted forms', async t => {
  const issues = issuesOf(`upstreams:
  web: { url: "http://127.0.0.1:8000", timeout: 30 seconds }
routes: []
`)
  t.same(issues, ['/etc/gatehouse/gw.yaml:2:49 upstreams.web.timeout: bad value "30 seconds": expected a duration: 500ms, 30s, 5m, 1h, 7d'])
})

t.test('references and route rules are checked', async t => {
  t.same(issuesOf(`${BASE}  bogus: { type: ldap }\nroutes: []\n`), [
    '/etc/gatehouse/gw.yaml:5:18 authenticators.bogus.type: type must be one of apiKey, clientToken, mtls, jwt, introspection, basic, oidc, userToken'
  ])
  const issues = issuesOf(`${BASE}  idp: { type: jwt, issuer: my-idp, audience: api }
routes:
  - match: /a/*
    upstream: nowhere
    policy: public
  - match: /b/*
    upstream: web
    policy: client+user
    client: [appKey]
  - match: /c/*
    upstream: web
    policy: client
    client: [missing]
  - match: /d/*
    upstream: web
    policy: public
    user: [appKey]
  - match: /e/*
    upstream: web
    policy: public
  - match: /e/*
    upstream: web
    methods: [GET]
    policy: public
  - match: /f/**
    upstream: web
    policy: public
`)
  const text = issues.join('\n')
  t.match(
    text,
    new RegExp(/gw\.yaml:5:\d+ authenticators\.idp\.issuer: with no jwksUri, publicKey or secret the JWKS is found /.source +
      /from the issuer, which must then be an http:\/\/ or https:\/\/ URL/.source)
  )
  t.match(text, /gw\.yaml:8:15 routes\[0\]\.upstream: unknown upstream "nowhere" \(declared: web\)/)
  t.match(text, /routes\[1\]\.policy: requires a user but the route lists no user authenticators/)
  t.match(text, /routes\[2\]\.client\[0\]: unknown authenticator "missing"/)
  t.match(text, /routes\[3\]\.user\[0\]: authenticator "appKey" \(apiKey\) proves a client, not a user/)
  t.match(text, /routes\[5\]\.match: duplicate route: GET \/e\/\* is already served by routes\[4\]/)
  t.match(text, /routes\[6\]\.match: \* may only be the last segment/)
})

t.test('a missing required key is named', async t => {
  t.same(issuesOf('routes: []\n'), ['/etc/gatehouse/gw.yaml:1:1 upstreams: is required'])
})
